// The AbortSignal of one HTTP request, Node's counterpart of Go's r.Context(): it aborts when
// the client goes away before its answer is complete (it closed the connection, gave up on a
// timeout of its own, or a shutdown deadline cut it). Everything the request starts takes this
// signal, so that no work goes on for a client that no longer waits.
import type { ServerResponse } from 'node:http';

/** The reason of a request signal: nobody is waiting for the answer any more. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
}

const signals = new WeakMap<ServerResponse, AbortSignal>();

/** The signal of the request `res` answers; the same one however often it is asked for. */
export function requestSignal(res: ServerResponse): AbortSignal {
  let signal = signals.get(res);
  if (signal) return signal;
  const controller = new AbortController();
  signal = controller.signal;
  signals.set(res, signal);
  // 'close' ends every response; before 'finish' it means the answer never fully left.
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new ClientGoneError('the client went away before the answer was complete'));
  });
  return signal;
}
