// Young-generation sizing, Node's nearest knob to Go's GOGC, compared at three sizes in one run:
// lab 10's starter and solution optimizers started with --max-semi-space-size of 1, 16 and
// 64 MiB, 300 uploads of 1 MiB pictures each (two in flight). For each: GCs per 1 000 uploads
// by kind and the p99 of their pauses (from the harness's probe, perf_hooks), uploads a second,
// and the optimizer's peak RSS.
//
//   node labs/10-gc-pooling/measure/gc-sizing.ts [--uploads 300]
import { parseArgs } from 'node:util';
import { startService } from '../../../shared/harness/service.ts';
import type { StackInfo } from '../../../shared/stack/types.ts';
import { gcOf, inBatches, labTree, optimize, paddedPicture, rssBytes, sleep } from '../test/pool-helpers.ts';

const { values } = parseArgs({ options: { uploads: { type: 'string', default: '300' } } });
const uploads = Number(values.uploads);
if (!Number.isInteger(uploads) || uploads < 10) {
  console.error(`--uploads must be an integer of at least 10 (got ${values.uploads})`);
  process.exit(2);
}
// The optimizer alone needs no server of the stack: its settings are never used.
const stack = { redis: { url: 'redis://127.0.0.1:1' }, rabbitmq: { url: 'amqp://127.0.0.1:1' }, minio: { endpoint: 'http://127.0.0.1:1', accessKey: 'x', secretKey: 'x' } } as unknown as StackInfo;
const pictures = await Promise.all(Array.from({ length: 20 }, (_, i) => paddedPicture(1000 + i, 160 + i, 120)));
const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)] ?? 0;

async function run(what: string, tree: string, semiSpaceMiB: number) {
  const svc = await startService({ tree, stack, processes: ['optimizer'], probe: true, envFor: { optimizer: { OPTIMIZER_CONCURRENCY: '2', NODE_OPTIONS: `--max-semi-space-size=${semiSpaceMiB}` } } });
  try {
    await inBatches(10, 2, (i) => optimize(svc.optimizerUrl, pictures[i % 20]!));
    const pid = svc.pid('optimizer')!;
    const before = await gcOf(svc.probeUrl.optimizer);
    let peak = rssBytes(pid);
    let running = true;
    const sampler = (async () => {
      while (running) {
        peak = Math.max(peak, rssBytes(pid));
        await sleep(20);
      }
    })();
    const start = performance.now();
    const answers = await inBatches(uploads, 2, (i) => optimize(svc.optimizerUrl, pictures[i % 20]!, { wm_text: `sizing ${i}` }));
    const seconds = (performance.now() - start) / 1000;
    running = false;
    await sampler;
    const after = await gcOf(svc.probeUrl.optimizer);
    const failed = answers.filter((a) => a.status !== 200).length;
    const per1000 = (kind: 'minor' | 'major') => (((after[kind] - before[kind]) * 1000) / uploads).toFixed(0);
    const pauses = [...after.pausesMs.minor.slice(before.pausesMs.minor.length), ...after.pausesMs.major.slice(before.pausesMs.major.length)];
    console.log(`| ${what} | ${semiSpaceMiB} MiB | ${per1000('minor')} | ${per1000('major')} | ${p99(pauses).toFixed(1)} ms | ${(uploads / seconds).toFixed(0)}${failed ? ` (${failed} failed)` : ''} | ${(peak / 2 ** 20).toFixed(0)} MiB |`);
  } finally {
    await svc.stopAll();
  }
}

console.log(`${uploads} uploads of 1 MiB pictures, two in flight, per optimizer:\n`);
console.log('| optimizer | --max-semi-space-size | scavenges / 1 000 uploads | mark-compacts / 1 000 uploads | GC pause p99 | uploads/s | peak RSS |');
console.log('|---|---|---|---|---|---|---|');
for (const [what, variant] of [['lab 10 starter', 'starter'], ['lab 10 solution', 'solution']] as const) {
  for (const size of [1, 16, 64]) await run(what, labTree(variant), size);
}
