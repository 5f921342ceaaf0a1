// The one place that runs git. Everything goes through spawnSync with an argument array
// (never a shell), so paths with spaces or quotes are safe.
import { spawnSync } from 'node:child_process';
import { UserError } from './errors.ts';

export interface GitOptions {
  /** Bytes written to git's standard input. */
  input?: string | Buffer;
  /** Extra environment (e.g. GIT_INDEX_FILE for a temporary index). */
  env?: Record<string, string>;
  /** Exit codes that are not failures (git diff --no-index exits 1 when files differ). */
  okCodes?: number[];
}

export interface GitResult {
  status: number;
  stdout: Buffer;
  stderr: string;
}

// Object listings of a whole tree can be large; 256 MB is far above any lab.
const MAX_BUFFER = 256 * 1024 * 1024;

export function runGit(cwd: string, args: string[], options: GitOptions = {}): GitResult {
  const result = spawnSync('git', args, {
    cwd,
    input: options.input,
    env: { ...process.env, ...options.env },
    maxBuffer: MAX_BUFFER,
  });
  if (result.error) {
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError('git is not installed or not on PATH', 'install git (https://git-scm.com/downloads)');
    }
    throw result.error;
  }
  const status = result.status ?? 128;
  const stderr = result.stderr.toString();
  if (status !== 0 && !(options.okCodes ?? []).includes(status)) {
    throw new Error(`git ${args.join(' ')} failed (exit ${status}): ${stderr.trim()}`);
  }
  return { status, stdout: result.stdout, stderr };
}

/** Runs git and returns its standard output as trimmed text. */
export function git(cwd: string, args: string[], options: GitOptions = {}): string {
  return runGit(cwd, args, options).stdout.toString().trim();
}

/** Splits NUL-separated output (-z), dropping the empty tail. */
export function splitNul(output: Buffer | string): string[] {
  return output.toString().split('\0').filter((item) => item !== '');
}
