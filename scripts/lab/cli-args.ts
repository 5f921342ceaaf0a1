// Argument parsing for the lab CLIs, on node:util parseArgs. One quirk of npm is handled here:
// `npm run lab start 07 --force` (without the `--` separator) makes npm keep --force for itself
// and export it as npm_config_force=true, so a flag missing from argv is read from there.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { UserError } from './errors.ts';

export interface Parsed {
  positionals: string[];
  flags: Record<string, boolean | string | undefined>;
}

export function parseCommandLine(argv: string[], options: ParseArgsOptionsConfig, help: string): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code?.startsWith('ERR_PARSE_ARGS')) throw new UserError((error as Error).message.split('\n')[0]!, help);
    throw error;
  }
  const flags: Parsed['flags'] = { ...parsed.values } as Parsed['flags'];
  if (process.env.npm_lifecycle_event) {
    for (const [name, option] of Object.entries(options)) {
      if (flags[name] !== undefined) continue;
      const fromNpm = process.env[`npm_config_${name.replace(/-/g, '_')}`];
      if (fromNpm === undefined || fromNpm === '') continue;
      flags[name] = option.type === 'boolean' ? fromNpm === 'true' : fromNpm;
    }
  }
  return { positionals: parsed.positionals, flags };
}
