// The figures of lab 05's README and debrief, measured on real servers:
//
//   node labs/05-rate-limiting/measure/limiters.ts [--part faults|algorithms|all]
//
// faults      the roadmap's Go limiter (a map of per-client buckets in each process, never
//             cleaned up: measure/limiters/per-instance.ts) on two API instances of one Redis:
//             how many of one client's uploads pass when it uses both, and what 100 000 client
//             ids cost the process's heap (after a full GC, read by the harness's probe).
// algorithms  a greedy client against no limiter (the starter) and each algorithm (token bucket = the solution's
//             api/rate-limit.ts; fixed window, sliding window log, leaky bucket as a queue:
//             measure/limiters/*.ts), all at burst 10 and 2 a second: 20 uploads at once, then
//             lab 02's load tool (`npm run load`, the tree's load/cli.ts) at 50 uploads a second
//             for 10 s, its 429 share and latency.
//
// Each variant runs in a copy of lab 05's solution tree (its settings, its trust proxy)
// whose api/rate-limit.ts is replaced by the variant: the service has no switch of its own.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { tinyImage } from '../../../shared/fixtures/images.ts';
import type { ProbeMemory } from '../../../shared/harness/process-probe.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { startStack } from '../../../shared/stack/index.ts';
import type { StackInfo } from '../../../shared/stack/types.ts';
import { clientAddress, flood, passed, sendAtOnce, statusCounts, uploadForm } from '../test/limit-helpers.ts';

const root = resolve(import.meta.dirname, '../../..');
const limiters = join(import.meta.dirname, 'limiters');
const { values } = parseArgs({ options: { part: { type: 'string', default: 'all' } } });
const budget = { RATE_LIMIT_BURST: '10', RATE_LIMIT_PER_SECOND: '2' };

/** Lab 05's starter or solution tree in a temp folder, with `variant` (a file in limiters/) as api/rate-limit.ts. */
function treeWith(kind: 'starter' | 'solution', variant: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), `nws-lab05-${variant ?? kind}-`));
  rmSync(dir, { recursive: true });
  const made = spawnSync(process.execPath, ['scripts/lab.ts', 'tree', '05', ...(kind === 'solution' ? ['--solution'] : []), '--out', dir], { cwd: root, encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`lab tree 05 failed: ${made.stderr}${made.stdout}`);
  if (variant) {
    // The limiters import the solution's errors from the repository; in the tree it is ../lib/.
    const localise = (text: string) => text.replaceAll('../../solution/lib/', '../lib/');
    writeFileSync(join(dir, 'api', 'common.ts'), localise(readFileSync(join(limiters, 'common.ts'), 'utf8')));
    writeFileSync(join(dir, 'api', 'rate-limit.ts'), localise(readFileSync(join(limiters, `${variant}.ts`), 'utf8')));
  }
  return dir;
}

/** The heap after a full GC, once what a flood left queued (log lines for a busy pipe) has drained. */
async function heapMb(svc: RunningService): Promise<number> {
  const read = async () => {
    const response = await fetch(`${svc.probeUrl.api}/memory`, { signal: AbortSignal.timeout(20_000) });
    return ((await response.json()) as ProbeMemory).heapUsed / 1024 / 1024;
  };
  let best = await read();
  for (let i = 0; i < 30; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const now = await read();
    const drop = best - now;
    best = Math.min(best, now);
    if (drop < 0.25) break;
  }
  return best;
}

async function faults(stack: StackInfo): Promise<void> {
  const tree = treeWith('solution', 'per-instance');
  try {
    const first = await startService({ tree, stack, processes: ['api', 'optimizer'], env: budget, probe: true });
    const second = await startService({
      tree,
      stack,
      processes: ['api'],
      env: { ...budget, KEY_PREFIX: first.prefix, QUEUE_PREFIX: first.env.QUEUE_PREFIX!, S3_BUCKET: first.bucket, OPTIMIZER_URL: first.optimizerUrl },
    });
    const form = await uploadForm(await tinyImage(), `faults ${first.prefix}`);
    const a = await sendAtOnce(first, 15, form);
    const b = await sendAtOnce(second, 15, form);
    console.log(`one client, 15 uploads at once to each of two instances (burst 10): instance 1 ${statusCounts(a)}, instance 2 ${statusCounts(b)}: ${passed(a) + passed(b)} passed`);
    await flood(first, 2_000, (i) => clientAddress(i, 1 << 22));
    const before = await heapMb(first);
    const run = await flood(first, 100_000, (i) => clientAddress(i), { timeoutMs: 300_000 });
    const after = await heapMb(first);
    console.log(`100 000 client ids through instance 1 (${(run.ms / 1000).toFixed(1)} s): heap after a full GC ${before.toFixed(1)} → ${after.toFixed(1)} MB (+${(after - before).toFixed(1)} MB, ${Math.round(((after - before) * 1024 * 1024) / 100_000)} bytes a client), and it never comes down: the map has no cleanup`);
    await Promise.all([first.stopAll(), second.stopAll()]);
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

/** Runs the tree's own load tool at 50 uploads a second for 10 s; returns its JSON report. */
function load(tree: string, target: string): Promise<{ requests: { total: number }; statusCodes: Record<string, number>; latency: Record<string, number> }> {
  const scenario = join(tree, 'greedy.json');
  writeFileSync(
    scenario,
    JSON.stringify({
      description: 'One greedy client: 50 uploads a second for 10 s (cache hits).',
      request: { upload: { image: { width: 400, height: 300 }, wmText: 'greedy' } },
      open: { rate: 50, duration: '10s' },
      thresholds: [],
    }),
  );
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(tree, 'load', 'cli.ts'), scenario, '--target', target, '--json', '-', '--quiet'], { cwd: tree, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => (code === 0 || code === 2 ? resolvePromise(JSON.parse(out)) : reject(new Error(`load/cli.ts exited ${code}`))));
  });
}

async function algorithms(stack: StackInfo): Promise<void> {
  console.log('\nalgorithm        20 at once: passed (slowest ms)   npm run load 50/s × 10 s: 429 share   p50 / p99 ms');
  for (const variant of ['none (starter)', 'token-bucket', 'fixed-window', 'sliding-window', 'leaky-bucket']) {
    const tree = variant === 'none (starter)' ? treeWith('starter', null) : treeWith('solution', variant === 'token-bucket' ? null : variant);
    try {
      const svc = await startService({ tree, stack, processes: ['api', 'optimizer'], env: budget });
      const form = await uploadForm(await tinyImage(), `burst ${svc.prefix}`);
      const sentAt = performance.now();
      const burst = await sendAtOnce(svc, 20, form, { timeoutMs: 30_000 });
      const slowest = Math.max(...burst.filter((answer) => answer.status !== 429).map((answer) => answer.at! - sentAt));
      // A fresh client for the load: the tool sends from loopback, a proxy on this machine.
      await new Promise((r) => setTimeout(r, 6_000));
      const report = await load(tree, svc.apiUrl);
      const refused = report.statusCodes['429'] ?? 0;
      console.log(
        `${variant.padEnd(16)} ${String(passed(burst)).padStart(2)} of 20 (${slowest.toFixed(0).padStart(5)} ms)            ${refused} of ${report.requests.total} = ${((refused / report.requests.total) * 100).toFixed(1)} %        ${Math.round(report.latency.p50)} / ${Math.round(report.latency.p99)}  (${Object.entries(report.statusCodes).map(([s, n]) => `${s} ×${n}`).join(', ')})`,
      );
      await svc.stopAll();
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  }
}

const stack = await startStack();
try {
  if (values.part === 'faults' || values.part === 'all') await faults(stack);
  if (values.part === 'algorithms' || values.part === 'all') await algorithms(stack);
} finally {
  await stack.stop();
}
