// Draining an HTTP server on shutdown, the job of Go's srv.Shutdown(ctx): stop accepting,
// let the requests in progress finish until a deadline, then cut whatever is left.
//
// Requests are counted the moment they arrive, in a 'request' listener put before the app's
// own and run synchronously: no request can ever be in progress without being counted. A
// count taken later (once the body is read, after an await) has a window where a request is
// running but not counted, and a drain that looks during that window exits under it: Go's
// `wg.Add(1)` called inside the goroutine instead of before `go`.
import type { Server, ServerResponse } from 'node:http';
import { aborted } from './shutdown.ts';

export interface HttpDrain {
  /** Requests received and not yet answered (or abandoned). */
  readonly inFlight: number;
  /**
   * Stops accepting connections, lets the requests in progress finish until `deadline`, then
   * closes every connection left. Resolves to the number of requests cut at the deadline.
   */
  drain(deadline: AbortSignal): Promise<number>;
}

export function trackRequests(server: Server): HttpDrain {
  const open = new Set<ServerResponse>();
  let draining = false;
  let lastOneDone: (() => void) | undefined;

  server.prependListener('request', (_req, res) => {
    open.add(res);
    // A request that arrives during the drain on a kept-alive connection is still answered,
    // but its connection is not kept for another one.
    if (draining) res.setHeader('Connection', 'close');
    // 'close' ends every response: answered, failed, or its client gone.
    res.once('close', () => {
      open.delete(res);
      if (draining && open.size === 0) lastOneDone?.();
    });
  });

  return {
    get inFlight() {
      return open.size;
    },
    async drain(deadline) {
      draining = true;
      // The listener goes at once: new connections are refused, and a load balancer that still
      // sends some learns it immediately instead of after a timeout.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // server.close() closes the connections idle right now (Node 19+) and waits for the
      // others, and a connection busy now stays open after its answer until keepAliveTimeout
      // (about 6 s): make the busy ones close once their answer is out, and close the idle ones.
      for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');
      server.closeIdleConnections();
      if (open.size > 0) {
        const allDone = new Promise<void>((resolve) => (lastOneDone = resolve));
        await Promise.race([allDone, aborted(deadline)]);
      }
      const cut = open.size;
      // Answered or out of time: any connection left is idle or beyond saving.
      server.closeAllConnections();
      await closed;
      return cut;
    },
  };
}
