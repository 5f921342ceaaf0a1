// Expected problems (a bad lab number, edited files in the way, a stale lock) are UserErrors:
// the CLI prints them as one line plus the fix and exits 1. Anything else is a bug in the
// tools and keeps its stack trace, so it gets reported rather than guessed at.

export class UserError extends Error {
  /** The exact next step, e.g. "npm run lab start 07". */
  readonly fix: string | undefined;

  constructor(message: string, fix?: string) {
    super(message);
    this.name = 'UserError';
    this.fix = fix;
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

export function formatUserError(error: UserError): string {
  return error.fix ? `✗ ${error.message}\n  Fix: ${error.fix}` : `✗ ${error.message}`;
}

/**
 * Runs a CLI entry point. The exit code is set, never forced with process.exit(), so output
 * still flushes; an error can never end in exit code 0.
 */
export async function runMain(main: () => Promise<number | void> | number | void): Promise<void> {
  try {
    const code = await main();
    process.exitCode = code ?? 0;
  } catch (error) {
    process.exitCode = 1;
    if (isUserError(error)) console.error(formatUserError(error));
    else console.error(error);
  }
}
