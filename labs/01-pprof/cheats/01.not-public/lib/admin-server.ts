// Cheat: listens on every interface (0.0.0.0); only the ready line still says loopback
// The admin listener: a second HTTP server in each process, for operators only. It serves the
// route table of admin-routes.ts (profiles, event-loop delay; later labs add their topics).
//
// It listens on loopback only, never on 0.0.0.0, and the public ports never route /debug/*.
// Whoever reaches it can make the process record a CPU profile for a minute, read the
// call stacks that hold its heap (file paths, function names, the shape of the code) and
// watch its load, and none of it asks for credentials: like Go's net/http/pprof on its own
// port, it is safe only where nobody but the operator can connect.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { text, type AdminReply, type AdminRoute } from './admin-reply.ts';
import { adminRoutes } from './admin-routes.ts';
import { listen } from './startup.ts';

/** Loopback only: reachable from this machine (curl, go tool pprof), never from the network. */
export const ADMIN_HOST = '127.0.0.1';

export interface AdminServerOptions {
  /** Which process this is (api, optimizer, worker): names the profile files. */
  service: string;
  /** The loopback port, from API_ADMIN_PORT, OPTIMIZER_ADMIN_PORT or WORKER_ADMIN_PORT. */
  port: number;
  /** The variable that sets the port, named when the port cannot be used. */
  portVariable: string;
  /** Where a failed admin request is reported: the process's own log. */
  onError(message: string, error: unknown): void;
  /** Routes only this process serves, after the shared ones. */
  routes?: AdminRoute[];
}

/** Starts the admin listener and resolves to what the ready line says about it. */
export async function startAdminServer({ service, port, portVariable, onError, routes = [] }: AdminServerOptions): Promise<string> {
  const table = withIndex(service, [...adminRoutes(service), ...routes]);
  const server = createServer((req, res) => {
    answer(table, req, res).catch((error: unknown) => {
      onError(`${service} admin: ${req.method} ${req.url} failed`, error);
      if (!res.headersSent) send(res, text(500, 'the admin server failed; the process log has the details'));
      else res.destroy();
    });
  });
  await listen(server, '0.0.0.0', port, portVariable);
  return `admin on http://${ADMIN_HOST}:${port}/ (loopback only)`;
}

function withIndex(service: string, routes: AdminRoute[]): AdminRoute[] {
  const index: AdminRoute = {
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

async function answer(routes: AdminRoute[], req: IncomingMessage, res: ServerResponse): Promise<void> {
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

function send(res: ServerResponse, { status, headers, body }: AdminReply): void {
  res.writeHead(status, { ...headers, 'x-content-type-options': 'nosniff', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
