// What tracing costs, measured on real servers, in one run (the figures of lab 08's README and
// debrief):
//
//   node labs/08-tracing/measure/tracing-cost.ts [--seconds 1.5] [--rounds 12] [--concurrency 8]
//
// Four variants of lab 08's solution tree, started one after the other (their start-up time
// measured) and then all kept running; the same cache-hit upload is sent to each by a closed
// loop of `concurrency` clients, in short windows of `seconds`, round-robin for `rounds`
// rounds (the order rotating), so a machine whose background load changes during the run
// affects every variant alike:
//   none       preload.json emptied: no hook, no SDK (what lab 07 runs)
//   disabled   the preload runs (the loader hook wraps every import) but OTEL_SDK_DISABLED=true
//   sampled    the SDK at OTEL_TRACES_SAMPLER=traceidratio, OTEL_TRACES_SAMPLER_ARG=0.1
//   full       the SDK, every request traced and exported
// The spans go to a receiver in a child process of this script (OTLP/HTTP JSON), as they would
// to a collector on the same machine. Also printed: the time from spawning the three processes
// to their ready lines, per variant.
import { spawn, spawnSync } from 'node:child_process';
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
const { values } = parseArgs({ options: { receiver: { type: 'boolean', default: false }, seconds: { type: 'string', default: '1.5' }, rounds: { type: 'string', default: '12' }, concurrency: { type: 'string', default: '8' } } });
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

// --receiver: the child process that receives the spans; prints its endpoint, then on stdin's end its counts.
if (values.receiver) {
  const receiver = await startOtlpReceiver();
  console.log(receiver.endpoint);
  process.stdin.resume();
  process.stdin.on('end', () => {
    console.log(`${receiver.spans().length} ${receiver.requests().length}`);
    void receiver.close().then(() => process.exit(0));
  });
} else {
  await measure();
}

async function measure(): Promise<void> {
  const traced = tree(true);
  const bare = tree(false);
  const stack = await startStack({ onProgress: (line) => console.error(`  ${line}`) });
  const child = spawn(process.execPath, [import.meta.filename, '--receiver'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  const deadline = Date.now() + 10_000;
  while (lines.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const endpoint = lines[0];
  if (!endpoint) throw new Error('the receiver process printed no endpoint within 10 s');
  const picture = await photoJpeg(800, 600);
  const services = new Map<Variant, Awaited<ReturnType<typeof startService>>>();
  const readyMs = new Map<Variant, number>();
  const hits = new Map<Variant, { count: number; seconds: number; latencies: number[] }>(variants.map((v) => [v, { count: 0, seconds: 0, latencies: [] }]));
  try {
    for (const variant of variants) {
      const startedAt = performance.now();
      const svc = await startService({ tree: variant === 'none' ? bare : traced, stack, env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, ...envOf[variant] }, readyTimeoutMs: 60_000 });
      readyMs.set(variant, performance.now() - startedAt);
      services.set(variant, svc);
      const first = await upload(svc.apiUrl, { image: picture, wmText: 'cost' });
      if (first.status !== 200) throw new Error(`${variant}: first upload answered ${first.status}`);
      console.error(`  ${variant.padEnd(8)} ready in ${readyMs.get(variant)!.toFixed(0)} ms`);
    }
    const window = async (variant: Variant, ms: number, record: boolean) => {
      const svc = services.get(variant)!;
      const until = performance.now() + ms;
      const t0 = performance.now();
      const latencies: number[] = [];
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < until) {
            const t = performance.now();
            const answer = await upload(svc.apiUrl, { image: picture, wmText: 'cost' });
            if (answer.headers.get('x-cache') !== 'HIT') throw new Error(`${variant}: a repeated upload was not a cache hit`);
            latencies.push(performance.now() - t);
          }
        }),
      );
      if (!record) return;
      const h = hits.get(variant)!;
      h.count += latencies.length;
      h.seconds += (performance.now() - t0) / 1_000;
      h.latencies.push(...latencies);
    };
    // Warm-up: JIT, connections, the SDK's first batches.
    for (const variant of variants) await window(variant, 1_500, false);
    for (let round = 0; round < rounds; round++) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
      for (const variant of order) await window(variant, seconds * 1_000, true);
    }
  } finally {
    await Promise.all([...services.values()].map((svc) => svc.stopAll()));
    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));
    await stack.stop();
    rmSync(traced, { recursive: true, force: true });
    rmSync(bare, { recursive: true, force: true });
  }

  const rate = (v: Variant) => hits.get(v)!.count / hits.get(v)!.seconds;
  const pct = (v: Variant, q: number) => {
    const sorted = [...hits.get(v)!.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
  };
  console.log(`\nCache-hit uploads (800×600 JPEG), ${concurrency} clients, ${rounds} rounds of ${seconds} s per variant, round-robin; ready = spawn to the three ready lines`);
  console.log('variant     hits/s   vs none   p50 ms   p99 ms   ready ms');
  for (const variant of variants) {
    console.log(`${variant.padEnd(10)} ${rate(variant).toFixed(0).padStart(7)}   ${((rate(variant) / rate('none')) * 100).toFixed(0).padStart(5)} %  ${pct(variant, 0.5).toFixed(1).padStart(7)}  ${pct(variant, 0.99).toFixed(1).padStart(7)}  ${readyMs.get(variant)!.toFixed(0).padStart(8)}`);
  }
  const [spans, posts] = (lines[1] ?? '? ?').split(' ');
  console.log(`spans received: ${spans} in ${posts} POSTs`);
}
