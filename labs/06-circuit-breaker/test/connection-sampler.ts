// The API's TCP connections to one port, read from the kernel's socket table: the sockets in
// /proc/<pid>/fd matched with /proc/net/tcp(6). Sampled in a worker thread (this same file),
// since synchronous /proc reads on the test's own thread would slow the uploads it times.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

// ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, LAST_ACK, CLOSING: a connection, not yet gone.
const OPEN_STATES = new Set(['01', '02', '03', '04', '05', '08', '09', '0B']);

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed between readdir and readlink
    }
  }
  return inodes;
}

/** Local ports of `pid`'s open TCP connections to `remotePort` on this machine. */
export function connectionsTo(pid: number, remotePort: number): Set<string> {
  const inodes = socketInodes(pid);
  // A set: the kernel's table is not read atomically, and a socket can show twice in one read.
  const found = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, remote, state, inode] = [fields[1], fields[2], fields[3], fields[9]];
      if (!local || !remote || !state || !inode || !OPEN_STATES.has(state) || !inodes.has(inode)) continue;
      if (parseInt(remote.split(':')[1]!, 16) === remotePort) found.add(String(parseInt(local.split(':')[1]!, 16)));
    }
  }
  return found;
}

export interface ConnectionCount {
  /** The most connections open at once in one sample. */
  maxOpen: number;
  /** Distinct connections (local ports) seen over all samples. */
  distinct: number;
  samples: number;
}

export interface ConnectionSampler {
  stop(): Promise<ConnectionCount>;
}

/** Samples `pid`'s connections to `remotePort` every `everyMs` until stop(). */
export function sampleConnections(pid: number, remotePort: number, everyMs = 10): ConnectionSampler {
  const worker = new Worker(new URL(import.meta.url), { workerData: { pid, remotePort, everyMs } });
  const result = new Promise<ConnectionCount>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          void worker.terminate();
          reject(new Error('the connection sampler thread did not report within 5 s of stop()'));
        }, 5_000);
      });
      try {
        return await Promise.race([result, hung]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { pid, remotePort, everyMs } = workerData as { pid: number; remotePort: number; everyMs: number };
  const seen = new Set<string>();
  let maxOpen = 0;
  let samples = 0;
  const take = () => {
    const open = connectionsTo(pid, remotePort);
    samples++;
    maxOpen = Math.max(maxOpen, open.size);
    for (const local of open) seen.add(local);
  };
  take();
  const timer = setInterval(take, everyMs);
  port.once('message', () => {
    clearInterval(timer);
    take();
    port.postMessage({ maxOpen, distinct: seen.size, samples } satisfies ConnectionCount);
    port.close();
  });
}
