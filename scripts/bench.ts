// `npm run bench`: what the service costs over the libraries it wraps, measured in one run.
//  1. optimizer time per image for the 4000×3000 fixture vs the bare sharp pipeline doing the
//     same work in-process (resize + text + composite + encode), and their ratio;
//  2. cache-hit requests/s through the API vs a bare Express route answering the same bytes
//     to the same request, and their ratio.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { photoJpeg } from '../shared/fixtures/images.ts';
import { barePipeline, medianMs, optimizeOnce, WATERMARK } from '../shared/harness/bare-pipeline.ts';
import { startService } from '../shared/harness/service.ts';
import { freePort } from '../shared/harness/ports.ts';
import { upload } from '../shared/harness/upload.ts';
import { startStack } from '../shared/stack/index.ts';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    tree: { type: 'string' },
    runs: { type: 'string', default: '8' },
    duration: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`npm run bench [-- --tree <dir>] [--runs 8] [--duration 5] [--json]

  --tree      service tree to measure (default: workspace/ if present, else labs/00-baseline)
  --runs      timed optimizer runs per side, after two warm-ups
  --duration  seconds of load per throughput measurement
  --json      print the figures as JSON as well`);
  process.exit(0);
}
const tree = resolve(root, values.tree ?? (existsSync(join(root, 'workspace/api')) ? 'workspace' : 'labs/00-baseline'));
const runs = positive('runs', values.runs);
const duration = positive('duration', values.duration);
const WM = WATERMARK;

function positive(name: string, raw: string | undefined): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench: --${name} must be a whole number ≥ 1, got "${raw}"`);
    process.exit(1);
  }
  return n;
}

async function timeRuns(label: string, once: () => Promise<unknown>): Promise<number> {
  const m = await medianMs(runs, once);
  console.log(`  ${label.padEnd(34)} median ${m.toFixed(1)} ms over ${runs} runs`);
  return m;
}

async function requestsPerSecond(label: string, url: string, body: Buffer, contentType: string): Promise<number> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
    connections: 10,
    duration,
  });
  const rps = result.requests.average;
  const bad = result.non2xx + result.errors;
  console.log(`  ${label.padEnd(34)} ${rps.toFixed(0)} req/s (p99 ${result.latency.p99} ms${bad ? `, ${bad} failed` : ''})`);
  if (bad) throw new Error(`${label}: ${bad} requests failed during the load`);
  return rps;
}

async function multipartBody(image: Buffer): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.set('image', new Blob([new Uint8Array(image)]), 'photo.jpg');
  form.set('wm_text', WM.text);
  form.set('wm_position', WM.position);
  const request = new Request('http://x/', { method: 'POST', body: form });
  return { body: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type')! };
}

async function main(): Promise<void> {
  console.log(`bench: ${tree.replace(root + '/', '')} on ${process.version}, ${(await import('node:os')).availableParallelism()} cores`);
  const t0 = performance.now();
  const stack = await startStack({ onProgress: (line) => console.log(`  ${line}`) });
  const scratch = mkdtempSync(join(tmpdir(), 'nws-bench-'));
  const children: ReturnType<typeof spawn>[] = [];
  try {
    // Tracing as shipped (every request; the harness samples 1 % for tests that read no spans).
    const service = await startService({ tree, stack, processes: ['api', 'optimizer'], env: { OTEL_TRACES_SAMPLER: 'parentbased_always_on' } });
    console.log(`  service up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const photo = await photoJpeg();

    console.log('\n1. optimizer vs bare sharp pipeline (4000×3000 JPEG → ≤1920×1080, watermark, JPEG q82)');
    const optimizerMs = await timeRuns('optimizer POST /optimize', () => optimizeOnce(service.optimizerUrl, photo));
    const bareMs = await timeRuns('bare sharp pipeline (in-process)', () => barePipeline(photo));
    const ratio = optimizerMs / bareMs;
    console.log(`  ratio optimizer / bare: ${ratio.toFixed(2)}×`);

    console.log(`\n2. cache-hit throughput (800×600 upload, 10 connections, ${duration} s each)`);
    const small = await photoJpeg(800, 600);
    const first = await upload(service.apiUrl, { image: small, wmText: WM.text, wmPosition: WM.position });
    if (first.status !== 200) throw new Error(`priming upload answered ${first.status}: ${first.body.toString().slice(0, 200)}`);
    const { body, contentType } = await multipartBody(small);
    const apiRps = await requestsPerSecond('API POST /upload (cache hit)', `${service.apiUrl}/upload`, body, contentType);

    const file = join(scratch, 'result.jpg');
    writeFileSync(file, first.body);
    const port = await freePort();
    const bare = spawn(process.execPath, [join(root, 'shared/harness/bare-server.ts'), file, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(bare);
    await new Promise<void>((ok) => bare.stdout!.on('data', (d: Buffer) => d.toString().includes('bare ready') && ok()));
    const bareRps = await requestsPerSecond('bare Express route, same bytes', `http://127.0.0.1:${port}/upload`, body, contentType);
    const hitRatio = bareRps / apiRps;
    console.log(`  ratio bare / API: ${hitRatio.toFixed(2)}× (the API reaches ${(100 / hitRatio).toFixed(0)} % of the bare route)`);

    if (values.json) {
      console.log(JSON.stringify({ tree, optimizerMs, bareMs, ratio, apiRps, bareRps, hitRatio }));
    }
    await service.stopAll();
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await stack.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log(`\nDone in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
