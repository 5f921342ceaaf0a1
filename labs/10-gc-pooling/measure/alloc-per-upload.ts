// Bytes the optimizer's upload reader (optimizer/receive-upload.ts of a tree) allocates per
// upload: the Node way to read Go's `-benchmem` "B/op". Each operation feeds the reader one
// multipart request of a 1 MiB picture in 64 KiB chunks (as a socket delivers them), checks it
// hands back exactly the picture's bytes, and releases it.
//
// Method: V8 counts two things, the JavaScript heap (objects, strings, Buffers under 4 KiB live
// in a shared slab) and external memory (the bytes of every other ArrayBuffer, Buffers included,
// outside the heap). An operation's cost is the growth of both across it. A collection during an
// operation hides part of that growth, so the figure is the median over many operations (a full
// GC comes every few dozen at most); the requests are built before measuring starts.
//
//   node labs/10-gc-pooling/measure/alloc-per-upload.ts [--tree <dir>] [--uploads 200] [--json]
//   npm run bench:alloc    (lab 10's starter, then the workspace or, with --solution, the solution)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { prng } from '../../../shared/fixtures/images.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const CHUNK = 64 * 1024;
const BOUNDARY = 'nws-alloc-bench';

export interface AllocFigures {
  tree: string;
  uploads: number;
  pictureBytes: number;
  /** Median bytes allocated per upload, heap and external. */
  heapPerUpload: number;
  externalPerUpload: number;
  totalPerUpload: number;
}

interface Upload {
  bytes(): Buffer;
  release(): void;
}

function multipart(picture: Buffer): { body: Buffer; contentType: string } {
  const head = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="wm_text"\r\n\r\nbench\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="p.png"\r\nContent-Type: image/png\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  return { body: Buffer.concat([head, picture, tail]), contentType: `multipart/form-data; boundary=${BOUNDARY}` };
}

/** A request as the reader sees one: headers, and the body in socket-sized chunks. */
function request(chunks: Buffer[], contentType: string): IncomingMessage {
  return Object.assign(Readable.from(chunks, { objectMode: false }), { headers: { 'content-type': contentType } }) as unknown as IncomingMessage;
}

const used = () => {
  const { used_heap_size: heap, external_memory: external } = getHeapStatistics();
  return { heap, external };
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

export async function measureTree(tree: string, uploads = 200, pictureBytes = 1024 * 1024): Promise<AllocFigures> {
  if (!existsSync(join(tree, 'optimizer/receive-upload.ts'))) {
    throw new Error(`${tree} has no optimizer/receive-upload.ts: start lab 10 first (npm run lab start 10), or pass --solution or --tree <dir>`);
  }
  const { createUploadReader } = (await import(pathToFileURL(join(tree, 'optimizer/receive-upload.ts')).href)) as {
    createUploadReader: (concurrency: number) => (req: IncomingMessage) => Promise<Upload>;
  };
  const read = createUploadReader(2);
  // Sixteen different pictures, so that no answer can be remembered from an earlier one.
  const rand = prng(pictureBytes);
  const pictures = Array.from({ length: 16 }, () => Buffer.from(Array.from({ length: pictureBytes }, () => (rand() * 256) | 0)));
  const bodies = pictures.map((picture) => multipart(picture));
  const chunked = bodies.map(({ body }) => Array.from({ length: Math.ceil(body.length / CHUNK) }, (_, i) => body.subarray(i * CHUNK, (i + 1) * CHUNK)));
  const once = async (i: number) => {
    const upload = await read(request(chunked[i % 16]!, bodies[0]!.contentType));
    const ok = upload.bytes().equals(pictures[i % 16]!);
    upload.release();
    if (!ok) throw new Error(`${tree}: the reader handed back other bytes than upload ${i}'s picture`);
  };
  for (let i = 0; i < 20; i++) await once(i); // warm-up: the pool fills, the code is compiled
  const heap: number[] = [];
  const external: number[] = [];
  for (let i = 0; i < uploads; i++) {
    const before = used();
    await once(i);
    const after = used();
    heap.push(after.heap - before.heap);
    external.push(after.external - before.external);
  }
  const heapPerUpload = Math.max(0, median(heap));
  const externalPerUpload = Math.max(0, median(external));
  return { tree, uploads, pictureBytes, heapPerUpload, externalPerUpload, totalPerUpload: heapPerUpload + externalPerUpload };
}

/** Runs the measurement in a process of its own, so the caller's heap does not blur it. */
export function measureInChild(tree: string, uploads = 200): AllocFigures {
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--tree', tree, '--uploads', String(uploads), '--json'], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`the allocation measurement of ${tree} failed (${run.signal ?? run.status}): ${(run.stderr || run.stdout).trim().split('\n').slice(-5).join('\n')}`);
  return JSON.parse(run.stdout) as AllocFigures;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { tree: { type: 'string' }, uploads: { type: 'string', default: '200' }, json: { type: 'boolean', default: false }, solution: { type: 'boolean', default: false } } });
  const uploads = Number(values.uploads);
  if (!Number.isInteger(uploads) || uploads < 10) {
    console.error(`--uploads must be an integer of at least 10 (got ${values.uploads})`);
    process.exit(2);
  }
  if (values.json) {
    try {
      console.log(JSON.stringify(await measureTree(resolve(values.tree ?? 'workspace'), uploads)));
    } catch (error) {
      console.error(`bench:alloc: ${(error as Error).message}`);
      process.exitCode = 1;
    }
  } else {
    const starter = mkdtempSync(join(tmpdir(), 'nws-alloc-starter-'));
    const trees: Array<[string, string]> = [['lab 10 starter', starter]];
    let solution: string | undefined;
    if (values.tree) trees.push([values.tree, resolve(values.tree)]);
    else if (values.solution) trees.push(['lab 10 solution', (solution = mkdtempSync(join(tmpdir(), 'nws-alloc-solution-')))]);
    else trees.push(['workspace', resolve(REPO, 'workspace')]);
    try {
      for (const [what, out] of [['starter', starter], ['solution', solution]] as const) {
        if (!out) continue;
        const made = spawnSync(process.execPath, ['scripts/lab.ts', 'tree', '10', ...(what === 'solution' ? ['--solution'] : []), '--out', out], { cwd: REPO, encoding: 'utf8' });
        if (made.status !== 0) throw new Error(`could not write lab 10's ${what}: ${made.stderr || made.stdout}`);
      }
      console.log(`Bytes allocated per upload by optimizer/receive-upload.ts (1 MiB pictures in 64 KiB chunks, median of ${uploads}):`);
      console.log(`${'tree'.padEnd(20)}${'heap'.padStart(14)}${'external'.padStart(14)}${'total'.padStart(14)}`);
      for (const [what, tree] of trees) {
        const figures = measureInChild(tree, uploads);
        console.log(`${what.padEnd(20)}${kib(figures.heapPerUpload).padStart(14)}${kib(figures.externalPerUpload).padStart(14)}${kib(figures.totalPerUpload).padStart(14)}`);
      }
    } catch (error) {
      console.error(`bench:alloc: ${(error as Error).message}`);
      process.exitCode = 1;
    } finally {
      rmSync(starter, { recursive: true, force: true });
      if (solution) rmSync(solution, { recursive: true, force: true });
    }
  }
}
