// What lab 10's tests share: the lab's starter tree (the ceilings are fractions of its own
// figures, measured in the same run), noise pictures of a chosen size, a direct POST /optimize,
// the tree's own pipeline as the reference an answer must match, and the probe's readings.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { prng } from '../../../shared/fixtures/images.ts';
import { boundedBody, boundedFetch } from '../../../shared/harness/bounded-fetch.ts';
import type { ProbeGc, ProbeSharp } from '../../../shared/harness/process-probe.ts';

const REPO = resolve(import.meta.dirname, '../../..');
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const written = new Map<string, string>();
/** Lab 10's starter (or solution), written once per process into a temporary folder (removed at exit). */
export function labTree(variant: 'starter' | 'solution' = 'starter'): string {
  const known = written.get(variant);
  if (known) return known;
  const out = mkdtempSync(join(tmpdir(), `nws-lab10-${variant}-`));
  const run = spawnSync(process.execPath, ['scripts/lab.ts', 'tree', '10', ...(variant === 'solution' ? ['--solution'] : []), '--out', out], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`could not write lab 10's ${variant} tree: ${run.stderr || run.stdout}`);
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  written.set(variant, out);
  return out;
}

export const starterTree = () => labTree('starter');

/**
 * A small PNG of seeded noise, padded to `bytes` with a private ancillary chunk that decoders
 * skip: an upload as large as a phone photo whose pixels cost sharp almost nothing, so the
 * optimizer's own handling of the bytes is what a test measures. Each seed gives other bytes.
 */
export async function paddedPicture(seed: number, width: number, height: number, bytes = 1024 * 1024): Promise<Buffer> {
  const rand = prng(seed);
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (rand() * 256) | 0;
  const png = await sharp(pixels, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
  const iend = png.length - 12; // IEND is the last chunk: length, type, no data, CRC
  const padLength = Math.max(0, bytes - png.length - 12);
  const pad = Buffer.alloc(12 + padLength);
  pad.writeUInt32BE(padLength, 0);
  pad.write('nwSp', 4, 'latin1'); // ancillary, private, safe to copy: every decoder skips it
  for (let i = 8; i < 8 + padLength; i++) pad[i] = (rand() * 256) | 0;
  pad.writeUInt32BE(crc32(pad.subarray(4, 8 + padLength)), 8 + padLength);
  return Buffer.concat([png.subarray(0, iend), pad, png.subarray(iend)]);
}

export interface Fields {
  wm_text?: string;
  wm_position?: string;
}

export interface Answer {
  status: number;
  retryAfter: string | null;
  body: Buffer;
}

/** One POST /optimize straight to the optimizer; a transport failure is status 0 with its message. */
export async function optimize(optimizerUrl: string, image: Buffer, fields: Fields = {}, timeoutMs = 60_000): Promise<Answer> {
  const form = new FormData();
  form.set('image', new Blob([new Uint8Array(image)]), 'picture.png');
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  const what = "the optimizer's POST /optimize";
  try {
    const response = await boundedFetch(what, `${optimizerUrl}/optimize`, { method: 'POST', body: form, timeoutMs });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await boundedBody(what, response, timeoutMs) };
  } catch (error) {
    return { status: 0, retryAfter: null, body: Buffer.from((error as Error).message) };
  }
}

/** The tree's own pipeline, run in this process: what the optimizer must answer for these inputs. */
export async function referenceImage(tree: string, image: Buffer, fields: Fields): Promise<Buffer> {
  const { watermarkImage } = (await import(pathToFileURL(join(tree, 'optimizer/watermark-image.ts')).href)) as typeof import('../../00-baseline/optimizer/watermark-image.ts');
  const { resolveFont } = (await import(pathToFileURL(join(tree, 'optimizer/font.ts')).href)) as typeof import('../../00-baseline/optimizer/font.ts');
  const { parseWatermarkParams } = (await import(pathToFileURL(join(tree, 'lib/watermark-params.ts')).href)) as typeof import('../../00-baseline/lib/watermark-params.ts');
  return (watermarkImage as (...args: unknown[]) => Promise<Buffer>)(image, parseWatermarkParams(fields), resolveFont(), new AbortController().signal);
}

/** How far two JPEGs are apart: their sizes, and the share of pixels in which some channel differs by more than 40 (of 255). */
export async function difference(a: Buffer, b: Buffer): Promise<{ sizeA: string; sizeB: string; changed: number }> {
  const [ra, rb] = await Promise.all([a, b].map((jpeg) => sharp(jpeg).raw().toBuffer({ resolveWithObject: true })));
  const sizeA = `${ra!.info.width}×${ra!.info.height}`;
  const sizeB = `${rb!.info.width}×${rb!.info.height}`;
  if (sizeA !== sizeB) return { sizeA, sizeB, changed: 1 };
  const channels = ra!.info.channels;
  let changed = 0;
  for (let i = 0; i < ra!.data.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      if (Math.abs(ra!.data[i + c]! - rb!.data[i + c]!) > 40) {
        changed++;
        break;
      }
    }
  }
  return { sizeA, sizeB, changed: changed / (ra!.info.width * ra!.info.height) };
}

async function probe<T>(probeUrl: string, route: string): Promise<T> {
  const what = `the optimizer's probe ${route}`;
  const response = await boundedFetch(what, `${probeUrl}${route}`, { timeoutMs: 30_000 });
  return JSON.parse((await boundedBody(what, response, 30_000)).toString()) as T;
}

export const gcOf = (probeUrl: string) => probe<ProbeGc>(probeUrl, '/gc');
export const sharpOf = (probeUrl: string) => probe<ProbeSharp>(probeUrl, '/sharp');
/** A full GC in the process (the probe's /memory walks the heap after one), which clears every WeakRef nothing else holds. */
export const fullGc = (probeUrl: string) => probe<unknown>(probeUrl, '/memory');

/** Resident set size of a process, from the kernel. */
export function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  if (!line) throw new Error(`/proc/${pid}/status has no VmRSS line: is the process still running?`);
  return Number(line[1]) * 1024;
}

/** Runs `count` tasks with at most `inFlight` at once, in order of their index. */
export async function inBatches<T>(count: number, inFlight: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  }));
  return results;
}
