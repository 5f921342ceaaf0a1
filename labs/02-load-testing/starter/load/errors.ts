// Expected problems — a scenario file that does not parse, a target that does not answer —
// are UserErrors: the CLI prints the message and the fix without a stack and exits 1.
// Anything else is a bug and keeps its stack.
export class UserError extends Error {
  override name = 'UserError';
  /** What to do about it, in one line. */
  readonly fix: string | undefined;

  constructor(message: string, fix?: string) {
    super(message);
    this.fix = fix;
  }
}
