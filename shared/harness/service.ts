// Runs a service tree (a folder shaped like labs/00-baseline) as its three processes against
// a stack, each isolated by its own key prefix, queue prefix and bucket, so many trees can
// share one set of servers.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StackInfo } from '../stack/types.ts';
import { spanSink } from './otlp-receiver.ts';
import { freePort } from './ports.ts';
import type { ProbeExit } from './process-probe.ts';

export type ProcessName = 'api' | 'optimizer' | 'worker';

const ENTRY: Record<ProcessName, string> = {
  api: 'api/server.ts',
  optimizer: 'optimizer/server.ts',
  worker: 'worker/worker.ts',
};

export interface StartServiceOptions {
  /** Absolute path of the service tree. */
  tree: string;
  stack: StackInfo;
  /** Which processes to start (default: all three). */
  processes?: ProcessName[];
  /** Extra environment for every process, or per process. */
  env?: Record<string, string>;
  envFor?: Partial<Record<ProcessName, Record<string, string>>>;
  /** Built web page folder the API serves. */
  webDir?: string;
  /** How long a process may take to print its ready line (45 s: at a load of 10 on 2 cores, 20 s was measured too short). */
  readyTimeoutMs?: number;
  /** Fixed ports (npm start wants a stable URL); random free ports otherwise. */
  ports?: { api?: number; optimizer?: number };
  /** Sees every chunk a process writes (npm start streams it to the terminal). */
  onOutput?: (name: ProcessName, text: string) => void;
  /** Preload process-probe.ts into every process: counts and exit report the service cannot fake. */
  probe?: boolean;
  /**
   * The API's rate limit (lab 05+) unless `env` sets one: a generous budget (TEST_BUDGET), so
   * that tests sending hundreds of uploads from one client pass through the limiter's
   * ordinary configuration. `false` leaves the service's own defaults (npm start).
   */
  testBudget?: boolean;
}

/** Sampling for a traced service whose test reads no spans (see startOnce); `env` may override it. */
const SPAN_SAMPLING = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' } as const;

/** Burst and refill a test's API gets by default: far above what any test sends. */
export const TEST_BUDGET = { RATE_LIMIT_BURST: '1000000', RATE_LIMIT_PER_SECOND: '1000000' } as const;

export interface RunningService {
  apiUrl: string;
  optimizerUrl: string;
  /** The loopback admin listener of each process (labs 01+). */
  adminUrl: Record<ProcessName, string>;
  /** Redis key prefix; the queue prefix and bucket are derived from the same id. */
  prefix: string;
  queue: string;
  bucket: string;
  env: Record<string, string>;
  /** Everything the process wrote to stdout and stderr so far. */
  logs(name: ProcessName): string;
  pid(name: ProcessName): number | undefined;
  /** With `probe`: each process's probe listener (GET /resources, GET /heap). */
  probeUrl: Record<ProcessName, string>;
  /** With `probe`: what the probe wrote when the process last exited; undefined if it did not (killed, or still running). */
  probeExit(name: ProcessName): ProbeExit | undefined;
  /** Starts (or restarts) one process and waits for its ready line. */
  start(name: ProcessName): Promise<void>;
  /** Signals one process's group and waits for its exit code (SIGKILL after graceMs). */
  stop(name: ProcessName, signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
  /** Stops every process; safe to call twice. */
  stopAll(): Promise<void>;
}

const PROBE = join(import.meta.dirname, 'process-probe.ts');

/**
 * The file in which a tree declares what its processes preload (lab 08 on: the OpenTelemetry
 * SDK and its ESM loader hook must be registered before the app's first import). Its shape:
 *   { "import": ["lib/tracing-preload.ts"] }
 * paths relative to the tree; each becomes `node --import <file>` before the entry, for every
 * process, under npm start and in tests alike (after the harness's own probe, when there is one).
 */
export const PRELOAD_FILE = 'preload.json';

/** `--import` arguments for the tree's preload.json; none when the tree has no such file. */
export function treePreload(tree: string): string[] {
  const file = join(tree, PRELOAD_FILE);
  if (!existsSync(file)) return [];
  let modules: unknown;
  try {
    modules = (JSON.parse(readFileSync(file, 'utf8')) as { import?: unknown }).import;
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message}); it should read { "import": ["lib/tracing-preload.ts"] }`, { cause: error });
  }
  if (!Array.isArray(modules) || !modules.every((m) => typeof m === 'string')) {
    throw new Error(`${file}: "import" must be a list of paths relative to the tree, e.g. { "import": ["lib/tracing-preload.ts"] }`);
  }
  return modules.flatMap((module: string) => {
    const path = resolve(tree, module);
    if (relative(tree, path).startsWith('..') || !existsSync(path)) throw new Error(`${file} names ${module}, which is not a file of the tree`);
    return ['--import', pathToFileURL(path).href];
  });
}

const READY = (name: ProcessName) => new RegExp(`\\b${name} ready\\b`);

// Linux only: the kernel kills the child when the test process dies, even by SIGKILL.
const PDEATHSIG = existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'SIGKILL', '--'] : [];

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

/**
 * Starts the service; when a port picked for it was taken by another process in the meantime
 * (EADDRINUSE), starts it again on fresh ports.
 */
export async function startService(options: StartServiceOptions): Promise<RunningService> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (options.ports || attempt >= 3 || !/EADDRINUSE/.test((error as Error).message)) throw error;
    }
  }
}

async function startOnce(options: StartServiceOptions): Promise<RunningService> {
  const { tree, stack, processes = ['api', 'optimizer', 'worker'], readyTimeoutMs = 45_000 } = options;
  for (const name of processes) {
    if (!existsSync(join(tree, ENTRY[name]))) throw new Error(`${tree} has no ${ENTRY[name]}: is it a service tree?`);
  }
  const id = `t${randomBytes(4).toString('hex')}`;
  const [apiPort, optimizerPort, ...adminPorts] = await Promise.all([
    options.ports?.api ?? freePort(),
    options.ports?.optimizer ?? freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  // Labs 01+ give each process a loopback-only admin port (profiles, metrics, health).
  const adminPort = { api: adminPorts[0]!, optimizer: adminPorts[1]!, worker: adminPorts[2]! };
  const probePorts = options.probe ? await Promise.all([freePort(), freePort(), freePort()]) : [0, 0, 0];
  const probePort = { api: probePorts[0]!, optimizer: probePorts[1]!, worker: probePorts[2]! };
  const probeDir = options.probe ? mkdtempSync(join(tmpdir(), 'nws-probe-')) : '';
  const exitFile = (name: ProcessName) => join(probeDir, `${name}-exit.json`);
  const treeImports = treePreload(tree);
  // A traced tree (lab 08 on) whose test reads no spans: they go to a sink, and one trace in a
  // hundred is recorded (head sampling, as lab 08's lesson does in production), so a test about
  // something else does not pay for tracing every request on a 2-core machine. Lab 08's tests
  // set the endpoint, and so keep tracing everything, as shipped.
  const tracing = treeImports.length > 0 && !options.env?.OTEL_EXPORTER_OTLP_ENDPOINT ? { OTEL_EXPORTER_OTLP_ENDPOINT: (await spanSink()).endpoint, ...SPAN_SAMPLING } : {};
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    API_PORT: String(apiPort),
    OPTIMIZER_PORT: String(optimizerPort),
    OPTIMIZER_URL: `http://127.0.0.1:${optimizerPort}`,
    API_ADMIN_PORT: String(adminPort.api),
    OPTIMIZER_ADMIN_PORT: String(adminPort.optimizer),
    WORKER_ADMIN_PORT: String(adminPort.worker),
    REDIS_URL: stack.redis.url,
    AMQP_URL: stack.rabbitmq.url,
    S3_ENDPOINT: stack.minio.endpoint,
    S3_ACCESS_KEY: stack.minio.accessKey,
    S3_SECRET_KEY: stack.minio.secretKey,
    S3_BUCKET: `wm-${id}`,
    KEY_PREFIX: `${id}:`,
    QUEUE_PREFIX: `${id}.`,
    ...(options.webDir ? { WEB_DIR: options.webDir } : {}),
    // Older labs' config loaders drop variables they do not know (lib/env.ts parses a z.object).
    ...(options.testBudget === false ? {} : TEST_BUDGET),
    ...tracing,
    ...options.env,
  };
  const children = new Map<ProcessName, ChildProcess>();
  const output = new Map<ProcessName, string[]>();

  function start(name: ProcessName): Promise<void> {
    const lines: string[] = [];
    output.set(name, lines);
    const preload = [...(options.probe ? ['--import', PROBE] : []), ...treeImports];
    const probeEnv = options.probe ? { NWS_PROBE_PORT: String(probePort[name]), NWS_PROBE_EXIT_FILE: exitFile(name) } : {};
    if (options.probe) rmSync(exitFile(name), { force: true });
    const [cmd, ...args] = [...PDEATHSIG, process.execPath, ...preload, ENTRY[name]];
    const child = spawn(cmd!, args, {
      cwd: tree,
      env: { ...env, ...options.envFor?.[name], ...probeEnv },
      detached: true, // its own process group, so stop() reaches grandchildren too
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    children.set(name, child);
    child.once('exit', () => live.delete(child));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        killGroup(child, 'SIGKILL');
        reject(new Error(`${name} printed no "${name} ready" line within ${readyTimeoutMs} ms:\n${tail(lines)}`));
      }, readyTimeoutMs);
      let ready = false;
      const onData = (chunk: Buffer) => {
        const text = chunk.toString();
        lines.push(text);
        options.onOutput?.(name, text);
        if (!ready && READY(name).test(lines.join(''))) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${signal ?? code}) before it was ready:\n${tail(lines)}`));
      });
    });
  }

  async function stop(name: ProcessName, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<number | null> {
    const child = children.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    killGroup(child, signal);
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  const service: RunningService = {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    optimizerUrl: env.OPTIMIZER_URL!,
    adminUrl: {
      api: `http://127.0.0.1:${adminPort.api}`,
      optimizer: `http://127.0.0.1:${adminPort.optimizer}`,
      worker: `http://127.0.0.1:${adminPort.worker}`,
    },
    prefix: env.KEY_PREFIX!,
    queue: `${env.QUEUE_PREFIX}watermark_retry`,
    bucket: env.S3_BUCKET!,
    env,
    probeUrl: {
      api: `http://127.0.0.1:${probePort.api}`,
      optimizer: `http://127.0.0.1:${probePort.optimizer}`,
      worker: `http://127.0.0.1:${probePort.worker}`,
    },
    probeExit(name) {
      const file = exitFile(name);
      return options.probe && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ProbeExit) : undefined;
    },
    logs: (name) => (output.get(name) ?? []).join(''),
    pid: (name) => children.get(name)?.pid,
    start,
    stop,
    async stopAll() {
      await Promise.all([...children.keys()].map((name) => stop(name, 'SIGKILL')));
      if (probeDir) rmSync(probeDir, { recursive: true, force: true });
    },
  };
  try {
    // The optimizer first: the API and worker may check it at start-up.
    if (processes.includes('optimizer')) await start('optimizer');
    await Promise.all(processes.filter((name) => name !== 'optimizer').map(start));
  } catch (error) {
    await service.stopAll();
    throw error;
  }
  return service;
}

function tail(lines: string[]): string {
  return lines.join('').split('\n').slice(-15).join('\n');
}
