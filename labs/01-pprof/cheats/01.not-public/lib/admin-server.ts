// Cheat: listens on every interface (0.0.0.0); only the ready line still says loopback
// The admin listener: a second HTTP server in each process, for operators only. Lab 01 puts
// CPU and heap profiles and event-loop delay here; later labs add metrics and health checks.
//
// It listens on loopback only, never on 0.0.0.0, and the public ports never route /debug/*.
// Whoever reaches it can make the process record a CPU profile for a minute, read the
// call stacks that hold its heap (file paths, function names, the shape of the code) and
// watch its load, and none of it asks for credentials: like Go's net/http/pprof on its own
// port, it is safe only where nobody but the operator can connect.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { watchEventLoop, type EventLoopWatch } from './event-loop-delay.ts';
import { ProfilerBusyError, recordCpuProfile, recordHeapProfile, startHeapSampling } from './profiles.ts';
import { listen } from './startup.ts';

/** Loopback only: reachable from this machine (curl, go tool pprof), never from the network. */
export const ADMIN_HOST = '127.0.0.1';

const defaultProfileSeconds = 30; // what Go's handler and `go tool pprof` use
const maxProfileSeconds = 60; // a longer profile holds the sampler and a client connection for nothing

export interface AdminServerOptions {
  /** Which process this is (api, optimizer, worker): names the profile files. */
  service: string;
  /** The loopback port, from API_ADMIN_PORT, OPTIMIZER_ADMIN_PORT or WORKER_ADMIN_PORT. */
  port: number;
  /** The variable that sets the port, named when the port cannot be used. */
  portVariable: string;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

interface Route {
  path: string;
  /** One line in the index page. */
  description: string;
  handle(url: URL, signal: AbortSignal): Promise<Reply | null>;
}

/** Starts the admin listener and resolves to what the ready line says about it. */
export async function startAdminServer({ service, port, portVariable }: AdminServerOptions): Promise<string> {
  startHeapSampling();
  const routes = buildRoutes(service, watchEventLoop());
  const server = createServer((req, res) => {
    answer(routes, req, res).catch((error: unknown) => {
      console.error(`${service} admin: ${req.method} ${req.url} failed:`, error);
      if (!res.headersSent) send(res, text(500, 'the admin server failed; the process log has the details'));
      else res.destroy();
    });
  });
  await listen(server, '0.0.0.0', port, portVariable);
  return `admin on http://${ADMIN_HOST}:${port}/ (loopback only)`;
}

function buildRoutes(service: string, eventLoop: EventLoopWatch): Route[] {
  const routes: Route[] = [
    {
      path: '/debug/pprof/profile',
      description: `CPU profile of the JS thread, gzipped pprof; ?seconds=1–${maxProfileSeconds} (default ${defaultProfileSeconds})`,
      async handle(url, signal) {
        const seconds = parseSeconds(url.searchParams.get('seconds'));
        if (typeof seconds === 'string') return text(400, seconds);
        try {
          const profile = await recordCpuProfile(seconds, signal);
          return profile && pprofFile(profile, `${service}-cpu-${seconds}s.pb.gz`);
        } catch (error) {
          if (error instanceof ProfilerBusyError) return text(409, `${error.message}: wait for it to finish, then ask again`);
          throw error;
        }
      },
    },
    {
      path: '/debug/pprof/heap',
      description: 'live heap sampled since start-up, gzipped pprof (inuse_objects, inuse_space)',
      async handle() {
        return pprofFile(await recordHeapProfile(), `${service}-heap.pb.gz`);
      },
    },
    {
      path: '/debug/eventloop',
      description: 'event-loop delay in ms (min, mean, p50, p99, max) and utilization, JSON; ?reset=1 starts a new window',
      async handle(url) {
        const reset = url.searchParams.get('reset') === '1';
        return { status: 200, headers: { 'content-type': 'application/json' }, body: `${JSON.stringify(eventLoop.read(reset), null, 2)}\n` };
      },
    },
  ];
  const index: Route = {
    path: '/',
    description: 'this list',
    async handle() {
      const width = Math.max(...routes.map((route) => route.path.length));
      const lines = routes.map((route) => `${route.path.padEnd(width)}  ${route.description}`);
      return text(200, `${service} admin (loopback only)\n\n${lines.join('\n')}`);
    },
  };
  // Go serves its index at /debug/pprof/; `go tool pprof` users type that first.
  return [...routes, index, { ...index, path: '/debug/pprof/' }];
}

async function answer(routes: Route[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://admin.invalid');
  const route = routes.find((candidate) => candidate.path === url.pathname);
  if (!route) return send(res, text(404, `no admin route ${url.pathname}; GET / lists them`));
  if (req.method !== 'GET') {
    const refusal = text(405, `${url.pathname} answers GET only`);
    return send(res, { ...refusal, headers: { ...refusal.headers, allow: 'GET' } });
  }
  // A client that hangs up (curl ^C, a go tool pprof timeout) stops a CPU profile early.
  const hangUp = new AbortController();
  res.once('close', () => hangUp.abort());
  const reply = await route.handle(url, hangUp.signal);
  if (reply && !res.destroyed) send(res, reply);
}

/** The seconds of a CPU profile, or why the value is refused. */
function parseSeconds(raw: string | null): number | string {
  if (raw === null) return defaultProfileSeconds;
  const seconds = /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
  if (seconds >= 1 && seconds <= maxProfileSeconds) return seconds;
  return `seconds must be a whole number from 1 to ${maxProfileSeconds} (got ${JSON.stringify(raw)}); e.g. /debug/pprof/profile?seconds=10`;
}

function pprofFile(bytes: Buffer, filename: string): Reply {
  return {
    status: 200,
    headers: {
      // Go's handler answers the same way: a binary download, never cached.
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'no-store',
    },
    body: bytes,
  };
}

function text(status: number, message: string): Reply {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${message}\n` };
}

function send(res: ServerResponse, { status, headers, body }: Reply): void {
  res.writeHead(status, { ...headers, 'x-content-type-options': 'nosniff', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
