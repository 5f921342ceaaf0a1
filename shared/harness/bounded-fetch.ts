// fetch with a deadline whose failure says what hung, so a stuck server ends the test with
// that sentence instead of the runner's own timeout.

/** Default bound of one harness request, with margin for a busy 2-core machine. */
export const REQUEST_TIMEOUT_MS = 20_000;

export async function boundedFetch(what: string, url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Response> {
  const { timeoutMs = REQUEST_TIMEOUT_MS, ...rest } = init;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = rest.signal ? AbortSignal.any([rest.signal, deadline]) : deadline;
  try {
    return await fetch(url, { ...rest, signal });
  } catch (error) {
    if (deadline.aborted) throw new Error(`${what} (${url}) gave no answer within ${timeoutMs} ms`, { cause: error });
    throw error;
  }
}

/** Reads the whole body under the same kind of deadline: a server can hang mid-body too. */
export async function boundedBody(what: string, response: Response, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Buffer> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: the body did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return Buffer.from(await Promise.race([response.arrayBuffer(), hung]));
  } finally {
    clearTimeout(timer);
  }
}
