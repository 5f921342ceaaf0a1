// `npm run load -- <scenario> [--target URL] [--json out.json]`: runs the load tool of the
// lab you are working on (workspace/load/cli.ts). The tool lives in the service tree, so you
// edit it in lab 02 and every later lab carries it; this script only finds and starts it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'workspace', 'load', 'cli.ts');

if (!existsSync(cli)) {
  console.error('npm run load: workspace/ has no load tool yet; it arrives with lab 02 (npm run lab start 2).');
  process.exit(1);
}

// Paths on the command line (scenario files, --json) are taken from where npm was run.
const child = spawn(process.execPath, [cli, ...process.argv.slice(2)], { cwd: process.env.INIT_CWD ?? process.cwd(), stdio: 'inherit' });
// Ctrl-C reaches the tool too (same process group): let it print what it has, then follow it.
process.on('SIGINT', () => {});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
