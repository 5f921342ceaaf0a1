// Starts stalling-server.ts in a child process: it blocks its own event loop on purpose, which
// would freeze the test runner if it ran in the same process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

export interface StallingStats {
  /** Requests answered. */
  count: number;
  /** The server's own service times (handler start to response end), in ms. */
  median: number;
  max: number;
  /** Connections accepted, and the most open at once. */
  connections: number;
  maxOpen: number;
}

export interface StallingServer {
  url: string;
  stats(): Promise<StallingStats>;
  stop(): void;
}

const STATS_TIMEOUT_MS = 5_000;

/** `anchor`: the freezes are timed from when the server is ready, or from its first request. */
export async function startStallingServer(stallMs = 1000, periodMs = 2000, anchor: 'ready' | 'first-request' = 'ready'): Promise<StallingServer> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'stalling-server.ts'), String(stallMs), String(periodMs), anchor], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('stalling-server printed no ready line within 5 s'));
    }, 5_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /stalling-server ready (\d+)/.exec(chunk.toString());
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`stalling-server exited (${code}) before it was ready`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stats() {
      child.send('stats');
      const [stats] = (await once(child, 'message', { signal: AbortSignal.timeout(STATS_TIMEOUT_MS) }).catch(() => {
        throw new Error(`stalling-server did not answer "stats" within ${STATS_TIMEOUT_MS / 1000} s`);
      })) as [StallingStats];
      return stats;
    },
    stop: () => void child.kill('SIGKILL'),
  };
}
