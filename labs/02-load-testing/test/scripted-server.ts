// A server whose answers the test scripts, and which keeps its own record of what it saw: the
// truth the load tool's report is checked against. Requests are numbered as they arrive;
// `answer(i)` says how long the i-th waits and with which status.
import { once } from 'node:events';
import { createServer } from 'node:http';

export interface Answer {
  delayMs: number;
  status: number;
}

export interface ScriptedServer {
  url: string;
  /** Requests that arrived. */
  readonly arrived: number;
  /** Requests given a status of 400 or more (counted on arrival, like `arrived`). */
  readonly failed: number;
  /** Distinct connections the client opened. */
  readonly connections: number;
  /** The most requests in flight at once in each `sliceMs` slice since the first request. */
  peaks(sliceMs: number): number[];
  close(): void;
}

export async function startScriptedServer(answer: (i: number) => Answer): Promise<ScriptedServer> {
  let arrived = 0;
  let failed = 0;
  let connections = 0;
  let inFlight = 0;
  let firstAt = 0;
  // Every change of the number in flight: [ms since the first request, in flight after it].
  const changes: [number, number][] = [];
  const note = () => changes.push([performance.now() - firstAt, inFlight]);
  const server = createServer((req, res) => {
    if (arrived === 0) firstAt = performance.now();
    const { delayMs, status } = answer(arrived++);
    if (status >= 400) failed++;
    inFlight++;
    note();
    req.resume();
    setTimeout(() => {
      res.statusCode = status;
      res.end(status >= 400 ? 'no' : 'ok');
      inFlight--;
      note();
    }, delayMs);
  });
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    get arrived() {
      return arrived;
    },
    get failed() {
      return failed;
    },
    get connections() {
      return connections;
    },
    peaks(sliceMs) {
      const peaks: number[] = [];
      let level = 0;
      for (const [at, now] of changes) {
        const slice = Math.floor(at / sliceMs);
        // A slice with no change keeps the level the previous one ended with.
        while (peaks.length <= slice) peaks.push(level);
        peaks[slice] = Math.max(peaks[slice]!, now);
        level = now;
      }
      return peaks;
    },
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}
