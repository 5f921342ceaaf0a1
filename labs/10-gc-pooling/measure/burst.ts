// The worker-pool notes' table on this service: 1 000 optimize requests at once, straight to an
// optimizer with two workers, with the queue unbounded (lab 10's starter, and the solution with
// OPTIMIZER_QUEUE_LIMIT out of reach) and bounded (the solution as shipped, 16). For each: the
// answers, the latency of the 200s (p50, p99), the optimizer's peak RSS and its CPU share.
//
//   node labs/10-gc-pooling/measure/burst.ts [--requests 1000]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService } from '../../../shared/harness/service.ts';
import type { StackInfo } from '../../../shared/stack/types.ts';
import { labTree, optimize, rssBytes, sleep } from '../test/pool-helpers.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '1000' } } });
const requests = Number(values.requests);
if (!Number.isInteger(requests) || requests < 10) {
  console.error(`--requests must be an integer of at least 10 (got ${values.requests})`);
  process.exit(2);
}
// The optimizer alone needs no server of the stack: its settings are never used.
const stack = { redis: { url: 'redis://127.0.0.1:1' }, rabbitmq: { url: 'amqp://127.0.0.1:1' }, minio: { endpoint: 'http://127.0.0.1:1', accessKey: 'x', secretKey: 'x' } } as unknown as StackInfo;
const cpuTicks = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').slice(11, 13).reduce((sum, ticks) => sum + Number(ticks), 0);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

async function run(what: string, tree: string, queueLimit: string) {
  const svc = await startService({ tree, stack, processes: ['optimizer'], envFor: { optimizer: { OPTIMIZER_CONCURRENCY: '2', OPTIMIZER_QUEUE_LIMIT: queueLimit, LOG_LEVEL: 'info' } } });
  try {
    const picture = await photoJpeg(2000, 1500);
    for (let i = 0; i < 2; i++) await optimize(svc.optimizerUrl, picture);
    const pid = svc.pid('optimizer')!;
    let peak = rssBytes(pid);
    const ticks = cpuTicks(pid);
    const start = performance.now();
    let done = 0;
    const sent = Array.from({ length: requests }, async () => {
      const begun = performance.now();
      const answer = await optimize(svc.optimizerUrl, picture, {}, 600_000);
      done++;
      return { status: answer.status, ms: performance.now() - begun };
    });
    while (done < requests) {
      peak = Math.max(peak, rssBytes(pid));
      await sleep(20);
    }
    const answers = await Promise.all(sent);
    const seconds = (performance.now() - start) / 1000;
    const cpu = ((cpuTicks(pid) - ticks) / 100 / seconds) * 100;
    const served = answers.filter((a) => a.status === 200).map((a) => a.ms).sort((a, b) => a - b);
    const statuses = Object.entries(Object.groupBy(answers, (a) => String(a.status))).map(([status, list]) => `${list!.length}×${status}`).join(' ');
    console.log(`| ${what} | ${statuses} | ${percentile(served, 0.5).toFixed(0)} ms | ${percentile(served, 0.99).toFixed(0)} ms | ${(peak / 2 ** 20).toFixed(0)} MiB | ${cpu.toFixed(0)} % | ${seconds.toFixed(1)} s |`);
  } finally {
    await svc.stopAll();
  }
}

console.log(`${requests} POST /optimize at once (a 2000×1500 photo each), two workers:\n`);
console.log('| optimizer | answers | p50 of the 200s | p99 of the 200s | peak RSS | CPU (of one core) | until the last answer |');
console.log('|---|---|---|---|---|---|---|');
await run('lab 10 starter (unbounded queue)', labTree('starter'), '16');
await run('solution, OPTIMIZER_QUEUE_LIMIT=100000', labTree('solution'), '100000');
await run('solution, OPTIMIZER_QUEUE_LIMIT=16', labTree('solution'), '16');
