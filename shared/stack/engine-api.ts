// The few Docker Engine API calls the watchdog and the no-orphan tests make on a container
// engine's unix socket (Docker, or podman's Docker API), with no client library: listing and
// force-removing a stack's containers by label, and removing its network by name.
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** Every container of a stack carries this label, its value the stack's id. */
export const STACK_LABEL = 'nws-watermark-labs.stack';
export const networkNameOf = (stackId: string) => `nws-stack-${stackId}`;

const CALL_TIMEOUT_MS = 15_000; // a forced removal stops the container first
const REMOVE_DEADLINE_MS = 60_000; // podman on a loaded 2-core machine: seconds per call
const ROUND_GAP_MS = 1_000;

function call(socketPath: string, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, timeout: CALL_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} on ${socketPath}: no answer within ${CALL_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The ids of the containers, running or not, labelled as part of the stack (every stack's without an id). */
export async function stackContainers(socketPath: string, stackId?: string): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [stackId ? `${STACK_LABEL}=${stackId}` : STACK_LABEL] }));
  const { status, body } = await call(socketPath, 'GET', `/containers/json?all=1&filters=${filters}`);
  if (status !== 200) throw new Error(`listing containers on ${socketPath}: HTTP ${status} ${body.slice(0, 200)}`);
  return (JSON.parse(body) as { Id: string }[]).map((container) => container.Id);
}

export async function networkExists(socketPath: string, name: string): Promise<boolean> {
  return (await call(socketPath, 'GET', `/networks/${encodeURIComponent(name)}`)).status === 200;
}

/**
 * Force-removes the stack's containers and its network, retrying until both are gone or
 * REMOVE_DEADLINE_MS passes (a loaded engine can take many seconds per call); returns how many
 * containers it removed.
 */
export async function removeStack(socketPath: string, stackId: string): Promise<number> {
  const deadline = Date.now() + REMOVE_DEADLINE_MS;
  let removed = 0;
  let emptyLooks = 0;
  for (let round = 0; Date.now() < deadline; round++) {
    if (round > 0) await sleep(ROUND_GAP_MS);
    try {
      const ids = await stackContainers(socketPath, stackId);
      const results = await Promise.allSettled(ids.map((id) => call(socketPath, 'DELETE', `/containers/${id}?force=true&v=true`)));
      removed += results.filter((result) => result.status === 'fulfilled' && (result.value.status < 300 || result.value.status === 404)).length;
      const network = await call(socketPath, 'DELETE', `/networks/${encodeURIComponent(networkNameOf(stackId))}`);
      // 404: never made, or already gone. Anything else (409: a container still attached) is another round.
      const networkGone = network.status < 300 || network.status === 404;
      emptyLooks = ids.length === 0 && networkGone ? emptyLooks + 1 : 0;
      // Done once a look finds nothing, after a first round that removed something has been
      // followed by another look: a create the engine was still processing shows up late.
      if (emptyLooks > 0 && (removed === 0 || round > 0)) break;
    } catch (error) {
      // No engine behind the socket any more (stopped: npm run podman -- stop): nothing to ask.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ECONNREFUSED') break;
      // The engine did not answer in time: next round.
    }
  }
  return removed;
}
