// 07.exact-counts and 07.exposition, the queued path and the gauges: the API's link to the
// optimizer goes through a Toxiproxy proxy of the test's own, and no worker runs, so what is
// queued stays in the retry queue. A round of n new pictures and k repeats (200), then the
// optimizer link refused and q more new pictures (each answered 202 queued; the breaker opens
// after BREAKER_FAILURES of them), then m messages the test puts into the retry queue itself
// with amqplib. Then:
// - uploads_total{status="queued"} moved by q and {status="success"} by n + k only, the cache
//   misses by n + q (a queued upload was a miss too);
// - rabbitmq_queue_depth equals what RabbitMQ itself says (checkQueue().messageCount = q + m)
//   and optimizer_breaker_state reads open (2) while the uploads come back 202;
// - upload_duration_seconds_count moved by each outcome's count, its _sum no more than the
//   wall time the test measured for those uploads and more than a fraction of it;
// - first, pictures the optimizer cannot decode: its watermark step throws, and is observed;
// - the API's Redis link goes through Toxiproxy too, with a latency toxic for the whole round:
//   the redis step's sum must hold that latency for every call it counted.
import { randomInt } from 'node:crypto';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg, tinyImage } from '../../../shared/fixtures/images.ts';
import { boundedFetch } from '../../../shared/harness/bounded-fetch.ts';
import { freePort } from '../../../shared/harness/ports.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { upload } from '../../../shared/harness/upload.ts';
import { addToxic, createProxy, createProxyTo, deleteProxy, setProxyEnabled, type CreatedProxy } from '../../../shared/stack/toxiproxy.ts';
import { scrape, valueOf, type Scrape } from './metrics-helpers.ts';

const stack = inject('stack');
const BREAKER_FAILURES = 2;
let svc: RunningService | undefined;
let proxy: CreatedProxy | undefined;
let redisProxy: CreatedProxy | undefined;
const REDIS_LATENCY_MS = 20;

interface Sent {
  kind: 'new' | 'repeat' | 'queued';
  status: number;
  bytes: number;
  ms: number;
}
const distinct = 2 + randomInt(3);
// opossum opens on a share of the window's calls (lab 06): the queued ones must outnumber the
// successes before them by more than BREAKER_FAILURES for the breaker to be open at the end.
const counts = { distinct, repeats: 1 + randomInt(3), queued: distinct + BREAKER_FAILURES + 2 + randomInt(2), injected: 2 + randomInt(4), broken: 1 + randomInt(3) };
const brokenStatuses: number[] = [];
let failedSteps: Record<'read' | 'watermark', number> = { read: -1, watermark: -1 };
const sent: Sent[] = [];
let before: Scrape;
let after: Scrape;
let rabbitDepth = -1;
let breakerReport = '';

function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} gave no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Puts `count` messages into the queue and returns RabbitMQ's own count of what is ready in it. */
async function injectAndCount(queue: string, count: number): Promise<number> {
  const connection = await within('connecting to RabbitMQ', 5_000, amqp.connect(stack.rabbitmq.url));
  try {
    const channel = await within('opening a RabbitMQ channel', 5_000, connection.createConfirmChannel());
    for (let i = 0; i < count; i += 1) channel.sendToQueue(queue, Buffer.from(JSON.stringify({ injectedByTest: i })));
    await within('RabbitMQ confirming the test’s messages', 5_000, channel.waitForConfirms());
    const { messageCount } = await within(`checkQueue(${queue})`, 5_000, channel.checkQueue(queue));
    return messageCount;
  } finally {
    await connection.close().catch(() => {});
  }
}

async function purge(queue: string): Promise<void> {
  const connection = await within('connecting to RabbitMQ', 5_000, amqp.connect(stack.rabbitmq.url));
  try {
    const channel = await connection.createChannel();
    await within(`deleting ${queue}`, 5_000, channel.deleteQueue(queue));
  } finally {
    await connection.close().catch(() => {});
  }
}

beforeAll(async () => {
  if (!stack.toxiproxy) expect.fail('the stack has no Toxiproxy: this test refuses the API→optimizer link through it');
  if (stack.provider !== 'native') expect.fail('this test proxies a process on this machine: Toxiproxy must run natively (STACK_PROVIDER=native)');
  const optimizerPort = await freePort();
  proxy = await createProxyTo(stack.toxiproxy, `lab07-queued-${Math.random().toString(36).slice(2, 8)}`, `127.0.0.1:${optimizerPort}`);
  redisProxy = await createProxy(stack.toxiproxy, `lab07-queued-redis-${Math.random().toString(36).slice(2, 8)}`, 'redis');
  const redisUrl = new URL(stack.redis.url);
  redisUrl.hostname = redisProxy.host;
  redisUrl.port = String(redisProxy.port);
  svc = await startService({
    tree: inject('tree'),
    stack,
    processes: ['api', 'optimizer'],
    ports: { optimizer: optimizerPort },
    envFor: { api: { REDIS_URL: redisUrl.toString().replace(/\/$/, ''), OPTIMIZER_URL: `http://${proxy.host}:${proxy.port}`, BREAKER_FAILURES: String(BREAKER_FAILURES), BREAKER_RESET_MS: '60000' } },
  });
  const image = await tinyImage();
  const tag = Math.random().toString(36).slice(2, 8);
  const send = async (kind: Sent['kind'], text: string, expected: number) => {
    const sentAt = performance.now();
    const result = await upload(svc!.apiUrl, { image, filename: 'tiny.jpg', wmText: text, timeoutMs: 15_000 });
    const ms = performance.now() - sentAt;
    expect(result.status, `upload "${text}" (${kind}) was answered ${result.status}, not ${expected}: ${result.body.toString().slice(0, 200)}`).toBe(expected);
    sent.push({ kind, status: result.status, bytes: result.body.length, ms });
  };
  // A step that throws took time too: pictures the optimizer cannot decode (a JPEG cut short:
  // its magic bytes pass the API's check, sharp fails in the watermark step).
  const optimizerBefore = await scrape(svc, 'optimizer');
  const photo = await photoJpeg(320, 240);
  const broken = photo.subarray(0, Math.floor(photo.length / 2));
  for (let i = 0; i < counts.broken; i += 1) {
    const result = await upload(svc.apiUrl, { image: broken, filename: 'broken.jpg', wmText: `queued test ${tag} broken ${i}`, timeoutMs: 15_000 });
    brokenStatuses.push(result.status);
  }
  const optimizerAfter = await scrape(svc, 'optimizer');
  failedSteps = {
    read: valueOf(optimizerAfter, 'pipeline_step_duration_seconds_count', { step: 'read' }) - valueOf(optimizerBefore, 'pipeline_step_duration_seconds_count', { step: 'read' }),
    watermark: valueOf(optimizerAfter, 'pipeline_step_duration_seconds_count', { step: 'watermark' }) - valueOf(optimizerBefore, 'pipeline_step_duration_seconds_count', { step: 'watermark' }),
  };
  before = await scrape(svc, 'api');
  // Every Redis answer to the API now takes REDIS_LATENCY_MS more (Toxiproxy, outside the API's code).
  await addToxic(stack.toxiproxy, redisProxy.name, { name: 'latency', type: 'latency', stream: 'downstream', attributes: { latency: REDIS_LATENCY_MS, jitter: 0 } });
  const texts = Array.from({ length: counts.distinct }, (_, i) => `queued test ${tag} ${i}`);
  for (const text of texts) await send('new', text, 200);
  for (let i = 0; i < counts.repeats; i += 1) await send('repeat', texts[i % texts.length]!, 200);
  // The optimizer link refused: each new picture is queued (202); the breaker opens on the way.
  await setProxyEnabled(stack.toxiproxy, proxy.name, false);
  for (let i = 0; i < counts.queued; i += 1) await send('queued', `queued test ${tag} refused ${i}`, 202);
  rabbitDepth = await injectAndCount(svc.queue, counts.injected);
  after = await scrape(svc, 'api');
  breakerReport = await boundedFetch('GET /debug/breaker', `${svc.adminUrl.api}/debug/breaker`, { timeoutMs: 5_000 }).then((r) => r.text()).catch((error: Error) => error.message);
}, 90_000);

afterAll(async () => {
  await svc?.stopAll();
  if (svc) await purge(svc.queue).catch(() => {});
  if (proxy && stack.toxiproxy) await deleteProxy(stack.toxiproxy, proxy.name).catch(() => {});
  if (redisProxy && stack.toxiproxy) await deleteProxy(stack.toxiproxy, redisProxy.name).catch(() => {});
});

function delta(name: string, labels: Record<string, string> = {}): number {
  return Math.round((valueOf(after, name, labels) - valueOf(before, name, labels)) * 1e9) / 1e9;
}

const what = () => `${counts.distinct} new pictures and ${counts.repeats} repeats answered 200, then ${counts.queued} new pictures answered 202 (the optimizer link refused)`;

describe('the counters and gauges when uploads are queued', () => {
  it('07.exact-counts a queued upload (202) is counted as queued, not success, and its cache lookup as a miss', () => {
    expect(delta('uploads_total', { status: 'queued' }), `uploads_total{status="queued"} after ${what()}: one per 202`).toBe(counts.queued);
    expect(delta('uploads_total', { status: 'success' }), `uploads_total{status="success"} after ${what()}: one per 200 only`).toBe(counts.distinct + counts.repeats);
    expect(delta('uploads_total', { status: 'error' }), `uploads_total{status="error"} after ${what()}: nothing failed (a 202 is not an error)`).toBe(0);
    expect(delta('redis_cache_hits_total'), `redis_cache_hits_total after ${what()}`).toBe(counts.repeats);
    expect(delta('redis_cache_misses_total'), `redis_cache_misses_total after ${what()}: every lookup that found nothing, whatever came after it (the queued ones too)`).toBe(counts.distinct + counts.queued);
  });

  it('07.exposition rabbitmq_queue_depth is what RabbitMQ holds and optimizer_breaker_state reads open while uploads are queued', () => {
    expect(rabbitDepth, `RabbitMQ's own count of the retry queue (checkQueue) after ${counts.queued} queued uploads and ${counts.injected} messages the test put there`).toBe(counts.queued + counts.injected);
    const depth = valueOf(after, 'rabbitmq_queue_depth');
    expect(depth, `rabbitmq_queue_depth after ${what()} and ${counts.injected} messages the test put into the retry queue: RabbitMQ says ${rabbitDepth} (ask it at each scrape, in the gauge's collect())`).toBe(rabbitDepth);
    expect(valueOf(after, 'optimizer_breaker_state'), `optimizer_breaker_state after ${counts.queued} uploads with the optimizer link refused (the breaker opens after BREAKER_FAILURES=${BREAKER_FAILURES}): open is 2 (read the breaker's state in collect()); uploads answered ${sent.filter((x) => x.kind === 'queued').map((x) => x.status).join(', ')}; the breaker: ${breakerReport.slice(0, 1200).replace(/\s+/g, " ")}`).toBe(2);
    expect(valueOf(before, 'optimizer_breaker_state'), 'optimizer_breaker_state before anything failed: closed is 0').toBe(0);
  });

  it('07.exposition upload_duration_seconds counts each outcome once and sums to no more than the wall time the test measured, and not much less', () => {
    for (const [status, kinds] of [['success', ['new', 'repeat']], ['queued', ['queued']]] as const) {
      const uploads = sent.filter((s) => (kinds as readonly string[]).includes(s.kind));
      const wall = uploads.reduce((sum, s) => sum + s.ms, 0) / 1000;
      expect(delta('upload_duration_seconds_count', { status }), `upload_duration_seconds_count{status="${status}"} after ${what()}`).toBe(uploads.length);
      const sum = delta('upload_duration_seconds_sum', { status });
      expect(sum, `upload_duration_seconds_sum{status="${status}"} is ${sum} s; the test measured ${wall.toFixed(4)} s for those ${uploads.length} uploads from outside: the server's time cannot be longer`).toBeLessThanOrEqual(wall);
      expect(sum, `upload_duration_seconds_sum{status="${status}"} is ${sum} s; the test measured ${wall.toFixed(4)} s for those ${uploads.length} uploads: observe the measured time, in seconds`).toBeGreaterThan(wall * 0.3);
    }
  });

  it('07.step-histogram a step that throws is observed too: the optimizer\'s watermark step on pictures it cannot decode', () => {
    for (const status of brokenStatuses) expect(status, `an upload of a JPEG cut short: the optimizer cannot decode it, the API must refuse it (4xx), got ${brokenStatuses.join(', ')}`).toBeGreaterThanOrEqual(400);
    expect(failedSteps.read, `the optimizer's pipeline_step_duration_seconds_count{step="read"} after ${counts.broken} pictures it cannot decode`).toBe(counts.broken);
    expect(failedSteps.watermark, `the optimizer's pipeline_step_duration_seconds_count{step="watermark"} after ${counts.broken} pictures whose watermark step failed: a step that throws took time too, observe it (in measureStep, on failure as on success)`).toBe(counts.broken);
  });

  it(`07.step-histogram the redis step's observations hold the ${REDIS_LATENCY_MS} ms Toxiproxy adds to each Redis answer`, () => {
    const calls = delta('pipeline_step_duration_seconds_count', { step: 'redis' });
    const sum = delta('pipeline_step_duration_seconds_sum', { step: 'redis' });
    expect(calls, `pipeline_step_duration_seconds_count{step="redis"} after ${what()}: at least one Redis lookup per upload`).toBeGreaterThanOrEqual(counts.distinct + counts.repeats + counts.queued);
    expect(sum, `pipeline_step_duration_seconds_sum{step="redis"} is ${sum} s for ${calls} Redis calls, each delayed ${REDIS_LATENCY_MS} ms by Toxiproxy: observe the measured duration, in seconds`).toBeGreaterThanOrEqual((calls * REDIS_LATENCY_MS) / 1000);
    expect(sum, `pipeline_step_duration_seconds_sum{step="redis"} is ${sum} s for ${calls} Redis calls: no more than the uploads' wall time`).toBeLessThanOrEqual(sent.reduce((total, x) => total + x.ms, 0) / 1000);
  });
});
