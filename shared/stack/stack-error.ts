// An expected problem with the test services (no Docker, a missing binary, a server that
// would not start): callers print the message alone, without a stack trace.
export class StackError extends Error {
  override name = 'StackError';
}
