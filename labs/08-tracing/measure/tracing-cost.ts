// What tracing costs, measured on real servers, in one run (the figures of lab 08's README and
// debrief):
//
//   node labs/08-tracing/measure/tracing-cost.ts [--seconds 6] [--rounds 2] [--concurrency 8]
//
// Four variants of lab 08's solution tree, each started afresh (the three processes) and sent
// the same cache-hit upload by a closed loop of `concurrency` clients for `seconds`:
//   none       preload.json emptied: no hook, no SDK (what lab 07 runs)
//   disabled   the preload runs (the loader hook wraps every import) but OTEL_SDK_DISABLED=true
//   sampled    the SDK at OTEL_TRACES_SAMPLER=traceidratio, OTEL_TRACES_SAMPLER_ARG=0.1
//   full       the SDK, every request traced and exported
// The spans go to a receiver of this script's own (OTLP/HTTP JSON), as they would to a collector.
// Rounds alternate the order (none…full, then full…none) so a machine getting busier does not
// favour one. Also printed: the time from spawning the processes to their ready lines.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startOtlpReceiver } from '../../../shared/harness/otlp-receiver.ts';
import { startService } from '../../../shared/harness/service.ts';
import { upload } from '../../../shared/harness/upload.ts';
import { startStack } from '../../../shared/stack/index.ts';

const root = resolve(import.meta.dirname, '../../..');
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '6' }, rounds: { type: 'string', default: '2' }, concurrency: { type: 'string', default: '8' } } });
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);

type Variant = 'none' | 'disabled' | 'sampled' | 'full';
const variants: Variant[] = ['none', 'disabled', 'sampled', 'full'];
const envOf: Record<Variant, Record<string, string>> = {
  none: {},
  disabled: { OTEL_SDK_DISABLED: 'true' },
  sampled: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
  full: {},
};

function tree(withPreload: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'nws-lab08-'));
  rmSync(dir, { recursive: true });
  const made = spawnSync(process.execPath, ['scripts/lab.ts', 'tree', '08', '--solution', '--out', dir], { cwd: root, encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`lab tree 08 failed: ${made.stderr}${made.stdout}`);
  if (!withPreload) writeFileSync(join(dir, 'preload.json'), '{ "import": [] }\n');
  return dir;
}

const traced = tree(true);
const bare = tree(false);
const stack = await startStack({ onProgress: (line) => console.error(`  ${line}`) });
const receiver = await startOtlpReceiver();
const picture = await photoJpeg(800, 600);
const results = new Map<Variant, { perSecond: number[]; readyMs: number[]; p50: number[]; p99: number[] }>(variants.map((v) => [v, { perSecond: [], readyMs: [], p50: [], p99: [] }]));

async function run(variant: Variant): Promise<void> {
  const startedAt = performance.now();
  const svc = await startService({ tree: variant === 'none' ? bare : traced, stack, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, LOG_LEVEL: 'warn', ...envOf[variant] } });
  const readyMs = performance.now() - startedAt;
  try {
    const first = await upload(svc.apiUrl, { image: picture, wmText: 'cost' });
    if (first.status !== 200) throw new Error(`${variant}: first upload answered ${first.status}`);
    // Warm-up: JIT, connections.
    const loop = async (until: number, latencies: number[]) => {
      while (performance.now() < until) {
        const t = performance.now();
        const answer = await upload(svc.apiUrl, { image: picture, wmText: 'cost' });
        if (answer.headers.get('x-cache') !== 'HIT') throw new Error(`${variant}: a repeated upload was not a cache hit`);
        latencies.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, () => loop(performance.now() + 1_500, [])));
    const latencies: number[] = [];
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, () => loop(t0 + seconds * 1_000, latencies)));
    const elapsed = (performance.now() - t0) / 1_000;
    latencies.sort((a, b) => a - b);
    const r = results.get(variant)!;
    r.perSecond.push(latencies.length / elapsed);
    r.readyMs.push(readyMs);
    r.p50.push(latencies[Math.floor(latencies.length * 0.5)]!);
    r.p99.push(latencies[Math.floor(latencies.length * 0.99)]!);
    console.error(`  ${variant.padEnd(8)} ${(latencies.length / elapsed).toFixed(0)} hits/s, ready in ${readyMs.toFixed(0)} ms`);
  } finally {
    await svc.stopAll();
  }
}

try {
  for (let round = 0; round < rounds; round++) {
    for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) await run(variant);
  }
} finally {
  await receiver.close();
  await stack.stop();
  rmSync(traced, { recursive: true, force: true });
  rmSync(bare, { recursive: true, force: true });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const base = mean(results.get('none')!.perSecond);
console.log(`\nCache-hit uploads (800×600 JPEG), ${concurrency} clients, ${seconds} s × ${rounds} rounds; ready = spawn to the three ready lines`);
console.log('variant    hits/s (rounds)          vs none   p50 ms   p99 ms   ready ms');
for (const variant of variants) {
  const r = results.get(variant)!;
  const perSecond = mean(r.perSecond);
  console.log(
    `${variant.padEnd(10)} ${perSecond.toFixed(0).padStart(6)} (${r.perSecond.map((x) => x.toFixed(0)).join(', ')})`.padEnd(35) +
      `${((perSecond / base) * 100).toFixed(0).padStart(5)} %  ${mean(r.p50).toFixed(1).padStart(7)}  ${mean(r.p99).toFixed(1).padStart(7)}  ${mean(r.readyMs).toFixed(0).padStart(8)}`,
  );
}
console.log(`spans received: ${receiver.spans().length} in ${receiver.requests().length} POSTs`);
