// The admin listener: a second HTTP server in each process, for operators only. Lab 01 puts
// profiles and event-loop delay here; later labs add metrics and health checks.
// api/server.ts, optimizer/server.ts and worker/worker.ts already call startAdminServer with
// the port from API_ADMIN_PORT, OPTIMIZER_ADMIN_PORT or WORKER_ADMIN_PORT.
//
// TODO (lab 01): make startAdminServer listen on 127.0.0.1 (loopback only, never 0.0.0.0)
// on `port`, and answer
//   GET /debug/pprof/profile?seconds=N   a CPU profile recorded over N seconds (refuse N outside
//                                        1–60 with a 400 that says why), gzipped pprof protobuf
//   GET /debug/pprof/heap                a heap profile, gzipped pprof protobuf
//   GET /debug/eventloop                 event-loop delay (min, mean, p50, p99, max in ms), JSON
//   anything else                        404
// The lab's README lists the building blocks (@datadog/pprof, node:perf_hooks) and the
// commands that read the answers. The public ports must keep answering 404 on /debug/*.

export interface AdminServerOptions {
  /** Which process this is (api, optimizer, worker). */
  service: string;
  /** The loopback port, from API_ADMIN_PORT, OPTIMIZER_ADMIN_PORT or WORKER_ADMIN_PORT. */
  port: number;
  /** The variable that sets the port, to name when the port cannot be used. */
  portVariable: string;
  /** Where a failed admin request is reported: the process's own log. */
  onError(message: string, error: unknown): void;
}

/** Starts the admin listener and resolves to what the ready line says about it. */
export async function startAdminServer({ service, port, portVariable }: AdminServerOptions): Promise<string> {
  // TODO (lab 01): create the server, listen on 127.0.0.1:port (lib/startup.ts's listen()
  // turns a taken port into a one-line start-up error naming portVariable), serve the routes.
  return `no admin listener yet (${service}: lab 01 TODO in lib/admin-server.ts; ${portVariable}=${port} is unused)`;
}
