// `npm start`: the service with its servers and its web page, until Ctrl-C.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildWeb } from '../shared/harness/build-web.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../shared/harness/otlp-receiver.ts';
import { traceFilePath } from '../shared/harness/trace-tree.ts';
import { startService, type ProcessName } from '../shared/harness/service.ts';
import { startStack } from '../shared/stack/index.ts';
import { removeStackFile, stackFilePath, writeStackFile } from '../shared/stack/stack-file.ts';
import { listLabs } from './lab/catalog.ts';
import { defaultRepo } from './lab/paths.ts';
import { startWorkspace } from './lab/workspace.ts';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '3000' },
    tree: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`npm start [-- --port 3000] [--tree <dir>]

  Starts Redis, RabbitMQ, MinIO and Toxiproxy (Docker if it answers, else native servers;
  STACK_PROVIDER=native|containers to choose), builds the web page, then runs the API,
  optimizer and retry worker of workspace/ (lab 01's starter is put there the first time).
  From lab 08 on the processes' spans go to a receiver on 127.0.0.1:4319 (npm run trace
  prints them), or wherever OTEL_EXPORTER_OTLP_ENDPOINT says (Jaeger: http://localhost:4318).`);
  process.exit(0);
}

const port = Number(values.port);
const tree = resolve(root, values.tree ?? 'workspace');
// The service's tunables you may set when you run npm start (each lab's README names its own).
const SETTINGS = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG', 'OTEL_BSP_SCHEDULE_DELAY', 'OTEL_SDK_DISABLED', 'LOG_LEVEL', 'LOG_FORMAT', 'OPTIMIZER_CONCURRENCY', 'OPTIMIZER_TIMEOUT_MS', 'SHUTDOWN_GRACE_MS', 'RETRY_DELAY_MS', 'RETRY_MAX_DELAY_MS', 'BREAKER_FAILURES', 'BREAKER_RESET_MS', 'BREAKER_WINDOW_MS', 'BREAKER_CAPACITY', 'CACHE_TTL_SECONDS', 'RATE_LIMIT_BURST', 'RATE_LIMIT_PER_SECOND', 'RATE_LIMIT_REDIS_TIMEOUT_MS', 'L1_MAX_BYTES', 'L1_TTL_MS', 'BLOOM_EXPECTED_KEYS', 'BLOOM_FALSE_POSITIVE_RATE', 'STAMPEDE_LOCK_MS', 'OPTIMIZER_QUEUE_LIMIT', 'OPTIMIZER_RETRY_AFTER_S'];
// Some time past the service's own SHUTDOWN_GRACE_MS (8 s by default), a process is killed.
const stopGraceMs = Math.max(12_000, (Number(process.env.SHUTDOWN_GRACE_MS) || 0) + 4_000);
// Lab 08 on, the processes export spans over OTLP/HTTP. Unless OTEL_EXPORTER_OTLP_ENDPOINT points
// them elsewhere (Jaeger in docker-compose: http://localhost:4318), they send them to a small
// receiver run here, which appends what it decodes to this file; `npm run trace` reads it.
const TRACE_FILE = traceFilePath(root);
const OTLP_PORT = 4319;
const COLORS: Record<ProcessName, string> = { api: '36', optimizer: '35', worker: '33' };

function fail(message: string): never {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

function assertPortFree(p: number): Promise<void> {
  return new Promise((ok) => {
    const probe = createServer()
      .once('error', () => fail(`port ${p} is in use; stop what holds it or run npm start -- --port ${p + 1}`))
      .listen(p, '127.0.0.1', () => probe.close(() => ok()));
  });
}

function prefixed(name: ProcessName, text: string): void {
  const tag = process.stdout.isTTY ? `\x1b[${COLORS[name]}m${name.padEnd(9)}\x1b[0m` : name.padEnd(9);
  for (const line of text.split('\n')) if (line) process.stdout.write(`${tag} ${line}\n`);
}

if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port must be a port number, got "${values.port}"`);
if (!values.tree && !existsSync(join(tree, 'api'))) {
  // First run: the course starts at lab 01's starter.
  const [first] = listLabs(defaultRepo());
  if (!first) fail('there is no lab yet; run npm start -- --tree labs/00-baseline');
  const result = startWorkspace(defaultRepo(), first, 'starter');
  console.log(`No workspace yet: wrote lab ${first.nn}'s starter (${result.files} files) to workspace/`);
}
if (!existsSync(join(tree, 'api'))) fail(`${tree} is not a service tree (no api/ folder)`);
await assertPortFree(port);

console.log(`Starting ${relative(root, tree)} …`);
const stack = await startStack({ onProgress: (line) => console.log(`  ${line}`) }).catch((error: Error) => fail(error.message));
// npm run verify reuses these servers while the file names this live process (shared/stack/stack-file.ts).
const stackFile = stackFilePath(root);
writeStackFile(stackFile, stack);
process.on('exit', () => removeStackFile(stackFile));
let receiver: OtlpReceiver | undefined;
if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
  receiver = await startOtlpReceiver({ port: OTLP_PORT, file: TRACE_FILE }).catch((error: Error) => {
    console.log(`  ! no trace receiver on port ${OTLP_PORT} (${error.message}): spans go nowhere; npm run trace will find none`);
    return undefined;
  });
  if (receiver) console.log(`  trace receiver on ${receiver.endpoint} (OTLP/HTTP JSON), spans appended to ${relative(root, TRACE_FILE)}`);
}
let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) {
    console.log('Stopping now.');
    await service?.stopAll();
    await stack.stop();
    process.exit(1);
  }
  stopping = true;
  // Before the servers go: a test run starting now must not pick them up.
  removeStackFile(stackFile);
  console.log('\nStopping … (SIGTERM: from lab 04 on the service drains first; Ctrl-C again to stop at once)');
  // The API and the worker first: what they finish may still need the optimizer.
  await Promise.all([service?.stop('api', 'SIGTERM', stopGraceMs), service?.stop('worker', 'SIGTERM', stopGraceMs)]);
  await service?.stop('optimizer', 'SIGTERM', stopGraceMs);
  await receiver?.close();
  await stack.stop();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

let service: Awaited<ReturnType<typeof startService>> | undefined;
try {
  const webDir = await buildWeb(tree);
  // The service's own defaults for names: this is the one service on these servers.
  // Fixed admin ports (labs 01+): the ones compose/prometheus.yml scrapes.
  const env: Record<string, string> = { KEY_PREFIX: 'wm:', QUEUE_PREFIX: '', S3_BUCKET: 'originals', API_ADMIN_PORT: '9464', OPTIMIZER_ADMIN_PORT: '9465', WORKER_ADMIN_PORT: '9466' };
  // Your settings reach the service; the processes write to a pipe, so a terminal here asks
  // them for readable lines rather than JSON (lab 03+).
  // Spans to the receiver above, in batches every second (the SDK's default is 5 s).
  if (receiver) Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '1000' });
  for (const name of SETTINGS) if (process.env[name]) env[name] = process.env[name];
  if (process.stdout.isTTY) env.LOG_FORMAT ??= 'pretty';
  service = await startService({ tree, stack, webDir, env, ports: { api: port }, onOutput: prefixed, testBudget: false });
} catch (error) {
  console.error(`npm start: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}
console.log(`\nReady. Open ${service!.apiUrl}  (servers: ${stack.provider}; Ctrl-C stops everything)\n`);
