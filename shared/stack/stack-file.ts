// .lab/stack.json: the servers `npm start` runs, with its pid, so a test run on the same machine
// can use them instead of starting its own (about 8 s). npm start writes it once its stack is up
// and removes it on exit; a reader trusts it only while that pid lives and every server answers.
import { connect as amqpConnect } from 'amqplib';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import type { StackInfo } from './types.ts';

export interface StackFile {
  pid: number;
  info: StackInfo;
}

/** A healthy local server answers in milliseconds; this bounds the whole check, not each probe. */
export const PROBE_TIMEOUT_MS = 1_500;

export const stackFilePath = (root: string) => join(root, '.lab', 'stack.json');

export function writeStackFile(path: string, info: StackInfo, pid = process.pid): void {
  mkdirSync(dirname(path), { recursive: true });
  // Written aside then renamed: a reader never sees half a file.
  // JSON drops a Stack's stop(), so a running Stack can be passed as is.
  const partial = `${path}.${pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify({ pid, info } satisfies StackFile, null, 2)}\n`);
  renameSync(partial, path);
}

/** Removes the file only while it still names `pid`: a later npm start may have replaced it. */
export function removeStackFile(path: string, pid = process.pid): void {
  if (readStackFile(path)?.pid === pid) rmSync(path, { force: true });
}

/** The file's contents, or undefined when it is missing or not a full stack (any other writer, an old format). */
export function readStackFile(path: string): StackFile | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  return isStackFile(parsed) ? parsed : undefined;
}

function isStackFile(value: unknown): value is StackFile {
  const file = value as Partial<StackFile> | null;
  const info = file?.info as Partial<StackInfo> | undefined;
  return (
    Number.isInteger(file?.pid) &&
    (info?.provider === 'native' || info?.provider === 'containers') &&
    typeof info.redis?.url === 'string' &&
    typeof info.rabbitmq?.url === 'string' &&
    typeof info.minio?.endpoint === 'string' &&
    typeof info.minio.accessKey === 'string' &&
    typeof info.minio.secretKey === 'string' &&
    typeof info.toxiproxy?.apiUrl === 'string' &&
    Array.isArray(info.toxiproxy.listeners) &&
    typeof info.toxiproxy.upstreams === 'object'
  );
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function redisPing(url: string, signal: AbortSignal): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) || 6379, signal });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      // -NOAUTH still proves a live Redis, but not one the tests can use without credentials.
      if (data.toString().startsWith('+PONG')) resolve();
      else reject(new Error(data.toString().trim()));
    });
    socket.once('error', reject);
  });
}

async function amqpHandshake(url: string, timeoutMs: number): Promise<void> {
  // Closed even when it completes after the deadline, so no connection is left open.
  const connection = await amqpConnect(url, { timeout: timeoutMs });
  await connection.close();
}

async function httpOk(url: string, signal: AbortSignal): Promise<void> {
  const response = await fetch(url, { signal });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
}

/** Probes every server at once; resolves to what did not answer in time, or undefined when all did. */
export async function probeStack(info: StackInfo, timeoutMs = PROBE_TIMEOUT_MS): Promise<string | undefined> {
  const signal = AbortSignal.timeout(timeoutMs);
  const probes: [string, () => Promise<void>][] = [
    [`Redis at ${info.redis.url}`, () => redisPing(info.redis.url, signal)],
    [`RabbitMQ at ${info.rabbitmq.url.replace(/\/\/[^@]*@/, '//')}`, () => amqpHandshake(info.rabbitmq.url, timeoutMs)],
    [`MinIO at ${info.minio.endpoint}`, () => httpOk(`${info.minio.endpoint}/minio/health/live`, signal)],
    [`Toxiproxy at ${info.toxiproxy.apiUrl}`, () => httpOk(`${info.toxiproxy.apiUrl}/version`, signal)],
  ];
  const deadline = new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new Error('timeout')), { once: true }));
  const answered = (probe: () => Promise<void>) => Promise.race([probe(), deadline]).then(() => true, () => false);
  const results = await Promise.all(probes.map(async ([what, probe]) => ((await answered(probe)) ? undefined : what)));
  return results.find((what) => what !== undefined);
}

export type RunningStack = { reuse: StackFile } | { reuse?: undefined; why: string };

/** The stack npm start runs, when the file names a live pid whose servers all answer; else why not. */
export async function findRunningStack(path: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<RunningStack | undefined> {
  const file = readStackFile(path);
  if (!file) return undefined;
  if (!isAlive(file.pid)) {
    // Left by an npm start that was killed: said once, then gone.
    removeStackFile(path, file.pid);
    return { why: `npm start (pid ${file.pid}) is gone (its stale stack file is removed)` };
  }
  const silent = await probeStack(file.info, timeoutMs);
  if (silent) return { why: `${silent} of npm start (pid ${file.pid}) did not answer within ${timeoutMs} ms` };
  return { reuse: file };
}
