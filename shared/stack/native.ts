// The native provider: redis-server, rabbitmq-server, minio and toxiproxy-server as child
// processes on random loopback ports, each with its own temp dir, started in parallel.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBinary, BINARIES } from './binaries.ts';
import { freePorts } from './free-ports.ts';
import { amqpHandshake, httpOk, redisPing, tcpOpen, waitReady } from './readiness.ts';
import { trackDir, untrackDir } from './reaper.ts';
import { spawnServer, stopServer, type ServerProcess } from './server-process.ts';
import type { ProxiedService, ServiceInfo, ServiceName, Stack } from './types.ts';

// Readiness deadlines, generous for a loaded 2-core machine; measured on a busy one: Redis
// and Toxiproxy 0.1–0.3 s, MinIO 1–1.3 s, RabbitMQ 6–11 s.
const READY_TIMEOUT_MS: Record<ServiceName, number> = { redis: 10_000, rabbitmq: 45_000, minio: 30_000, toxiproxy: 10_000 };
const EPMD_TIMEOUT_MS = 5_000;
const MINIO_CREDENTIALS = { accessKey: 'minioadmin', secretKey: 'minioadmin' };
const PROXY_LISTENERS = 8; // ports reserved for toxiproxy proxies
const HOST = '127.0.0.1';

/** The ports each server needs, reserved up front so toxiproxy knows its upstreams. */
const PORT_COUNT: Record<ServiceName, number> = { redis: 1, rabbitmq: 3, minio: 2, toxiproxy: 1 + PROXY_LISTENERS };

interface Context {
  ports: number[];
  dir: string;
  signal: AbortSignal;
  /** Every spawned process lands here at once, so a failed start can still stop it. */
  servers: ServerProcess[];
  /** The loopback address of each other service, for toxiproxy's upstreams. */
  upstreams: Partial<Record<ProxiedService, string>>;
}

type Starter<S extends ServiceName> = (ctx: Context) => Promise<ServiceInfo[S]>;

function spawnInto(ctx: Context, ...args: Parameters<typeof spawnServer>): ServerProcess {
  const server = spawnServer(...args);
  ctx.servers.push(server);
  return server;
}

const startRedis: Starter<'redis'> = async (ctx) => {
  const [port] = ctx.ports as [number];
  const args = ['--port', String(port), '--bind', HOST, '--dir', ctx.dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
  const server = spawnInto(ctx, 'redis', assertBinary('redis-server'), args, { logPath: join(ctx.dir, 'server.log') });
  await waitReady(server, redisPing(port), { timeoutMs: READY_TIMEOUT_MS.redis, signal: ctx.signal, what: `PING on ${HOST}:${port}` });
  return { url: `redis://${HOST}:${port}` };
};

// RabbitMQ gets its own epmd on its own port, started by us in its own group: an epmd that
// erl starts itself daemonizes and would outlive the broker. `-start_epmd false` makes sure
// erl never does that, even if ours were not up yet.
const startRabbitmq: Starter<'rabbitmq'> = async (ctx) => {
  const [amqpPort, distPort, epmdPort] = ctx.ports as [number, number, number];
  const epmd = spawnInto(ctx, 'epmd', assertBinary('epmd'), ['-port', String(epmdPort), '-address', HOST], { logPath: join(ctx.dir, 'epmd.log') });
  await waitReady(epmd, tcpOpen(epmdPort), { timeoutMs: EPMD_TIMEOUT_MS, signal: ctx.signal, what: `on ${HOST}:${epmdPort}` });
  const pluginsFile = join(ctx.dir, 'enabled_plugins');
  writeFileSync(pluginsFile, '');
  const env = {
    ...process.env,
    // The Erlang cookie is written to $HOME; keep it in the temp dir.
    HOME: ctx.dir,
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: `nws${randomBytes(4).toString('hex')}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: HOST,
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(ctx.dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(ctx.dir, 'log'),
    RABBITMQ_LOGS: '-',
    RABBITMQ_ENABLED_PLUGINS_FILE: pluginsFile,
    // Files that do not exist, so the machine's /etc/rabbitmq cannot change this broker.
    RABBITMQ_CONF_ENV_FILE: join(ctx.dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: join(ctx.dir, 'rabbitmq'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(ctx.dir, 'advanced.config'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-start_epmd false',
  };
  const server = spawnInto(ctx, 'rabbitmq', assertBinary('rabbitmq-server'), [], { env, logPath: join(ctx.dir, 'server.log') });
  const url = `amqp://guest:guest@${HOST}:${amqpPort}`;
  await waitReady(server, amqpHandshake(url), { timeoutMs: READY_TIMEOUT_MS.rabbitmq, signal: ctx.signal, what: `AMQP on ${HOST}:${amqpPort}` });
  return { url };
};

const startMinio: Starter<'minio'> = async (ctx) => {
  const [port, consolePort] = ctx.ports as [number, number];
  const env = {
    ...process.env,
    MINIO_ROOT_USER: MINIO_CREDENTIALS.accessKey,
    MINIO_ROOT_PASSWORD: MINIO_CREDENTIALS.secretKey,
    // No update check, no call-home, no web console: nothing leaves the machine.
    MINIO_UPDATE: 'off',
    MINIO_CALLHOME_ENABLE: 'off',
    MINIO_BROWSER: 'off',
  };
  const args = ['server', join(ctx.dir, 'data'), '--address', `${HOST}:${port}`, '--console-address', `${HOST}:${consolePort}`, '--quiet'];
  const server = spawnInto(ctx, 'minio', assertBinary('minio'), args, { env, logPath: join(ctx.dir, 'server.log') });
  const endpoint = `http://${HOST}:${port}`;
  await waitReady(server, httpOk(`${endpoint}/minio/health/ready`), { timeoutMs: READY_TIMEOUT_MS.minio, signal: ctx.signal, what: `${endpoint}/minio/health/ready` });
  return { endpoint, ...MINIO_CREDENTIALS };
};

const startToxiproxy: Starter<'toxiproxy'> = async (ctx) => {
  const [port, ...listenPorts] = ctx.ports as [number, ...number[]];
  const args = ['-host', HOST, '-port', String(port)];
  const server = spawnInto(ctx, 'toxiproxy', assertBinary('toxiproxy-server'), args, { logPath: join(ctx.dir, 'server.log') });
  const apiUrl = `http://${HOST}:${port}`;
  await waitReady(server, httpOk(`${apiUrl}/version`), { timeoutMs: READY_TIMEOUT_MS.toxiproxy, signal: ctx.signal, what: `${apiUrl}/version` });
  return { apiUrl, upstreams: ctx.upstreams, listeners: listenPorts.map((p) => ({ listen: `${HOST}:${p}`, host: HOST, port: p })) };
};

const STARTERS: { [S in ServiceName]: Starter<S> } = { redis: startRedis, rabbitmq: startRabbitmq, minio: startMinio, toxiproxy: startToxiproxy };

export async function startNative<S extends ServiceName>(services: readonly S[], onProgress: (line: string) => void): Promise<Stack<S>> {
  // A missing binary fails before anything is spawned.
  for (const name of services.flatMap((service) => BINARIES[service])) assertBinary(name);

  // Each service's first port is the one its clients (and toxiproxy's upstreams) use.
  const allPorts = await freePorts(services.reduce((sum, service) => sum + PORT_COUNT[service], 0));
  const ports = new Map(services.map((service) => [service, allPorts.splice(0, PORT_COUNT[service])] as const));
  const upstreams: Partial<Record<ProxiedService, string>> = {};
  for (const [service, [port]] of ports) if (service !== 'toxiproxy') upstreams[service as ProxiedService] = `${HOST}:${port}`;

  const servers: ServerProcess[] = [];
  const dirs: string[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(servers.map(stopServer));
      for (const dir of dirs) {
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
        untrackDir(dir);
      }
    })());

  // The first failure aborts the other starts; it is the one worth reporting.
  const abort = new AbortController();
  let firstError: unknown;
  const results = await Promise.allSettled(
    services.map(async (service) => {
      const dir = mkdtempSync(join(tmpdir(), `nws-${service}-`));
      dirs.push(dir);
      trackDir(dir);
      const t0 = performance.now();
      try {
        const info = await STARTERS[service]({ ports: ports.get(service)!, dir, signal: abort.signal, servers, upstreams });
        onProgress(`${service} ready on ${HOST}:${ports.get(service)![0]} in ${Math.round(performance.now() - t0)} ms`);
        return [service, info] as const;
      } catch (error) {
        firstError ??= error;
        abort.abort();
        throw error;
      }
    }),
  );
  if (firstError) {
    await stop();
    throw firstError;
  }
  const infos = results.map((result) => (result as PromiseFulfilledResult<readonly [S, ServiceInfo[S]]>).value);
  return { provider: 'native', ...Object.fromEntries(infos), stop } as Stack<S>;
}
