// Lab 07's test helpers: /metrics read and parsed the way Prometheus reads it (the text
// format, checked by Prometheus's own `promtool check metrics`), the uploads the tests send
// with what the harness knows of each outcome, and Redis read directly (the results the API
// cached, under the test's own key prefix).
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { notAnImage, tinyImage } from '../../../shared/fixtures/images.ts';
import { boundedFetch, boundedBody } from '../../../shared/harness/bounded-fetch.ts';
import type { ProcessName, RunningService } from '../../../shared/harness/service.ts';
import { get, serverTiming, upload, type UploadResult } from '../../../shared/harness/upload.ts';

export { sleep };

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  type: string;
  help: string;
  samples: Sample[];
}

export interface Scrape {
  text: string;
  contentType: string;
  families: Map<string, Family>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/y;

// Prometheus reads values with Go's ParseFloat: NaN and Inf in any case (prom-client writes "Nan").
function parseValue(raw: string): number {
  if (/^\+?inf$/i.test(raw)) return Infinity;
  if (/^-inf$/i.test(raw)) return -Infinity;
  if (/^nan$/i.test(raw)) return NaN;
  const value = Number(raw);
  if (raw === '' || Number.isNaN(value)) throw new Error(`"${raw}" is not a sample value`);
  return value;
}

function parseLabels(raw: string | undefined, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!raw) return labels;
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < raw.length) {
    const match = LABEL.exec(raw);
    if (!match) throw new Error(`bad labels in "${line}"`);
    labels[match[1]!] = match[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  return labels;
}

/** The family a sample belongs to: its name without a histogram's or summary's suffix. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  if (families.has(name)) return families.get(name);
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const family = families.get(name.slice(0, -suffix.length));
      if (family) return family;
    }
  }
  return undefined;
}

/** Parses Prometheus's text format (0.0.4); throws naming the first line it cannot read. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `line ${i + 1} of /metrics`;
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const [, kind, name, ...rest] = line.split(' ');
      const family = families.get(name!) ?? { type: 'untyped', help: '', samples: [] };
      if (kind === 'HELP') family.help = rest.join(' ');
      else family.type = rest.join(' ');
      families.set(name!, family);
      return;
    }
    if (line.startsWith('#')) return;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`${where} is not a sample: "${line}"`);
    const [, name, rawLabels, rawValue] = match;
    const sample = { name: name!, labels: parseLabels(rawLabels, line), value: parseValue(rawValue!) };
    const family = familyOf(name!, families);
    if (!family) throw new Error(`${where}: sample ${name} has no # TYPE line before it`);
    family.samples.push(sample);
  });
  return families;
}

/** GET /metrics on a process's admin port, parsed. */
export async function scrape(svc: RunningService, name: ProcessName): Promise<Scrape> {
  const url = `${svc.adminUrl[name]}/metrics`;
  const response = await boundedFetch(`GET /metrics of the ${name}`, url, { timeoutMs: 5_000 });
  const text = (await boundedBody(`GET /metrics of the ${name}`, response, 5_000)).toString();
  expect(response.status, `GET ${url} answered ${response.status}: ${text.slice(0, 200)}`).toBe(200);
  let families: Map<string, Family>;
  try {
    families = parseExposition(text);
  } catch (error) {
    expect.fail(`the ${name}'s /metrics is not Prometheus text: ${(error as Error).message}`);
  }
  return { text, contentType: response.headers.get('content-type') ?? '', families };
}

/** Runs Prometheus's own linter on the text; resolves to its exit code and what it printed. */
export function promtool(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('promtool check metrics did not finish within 10 s'));
    }, 10_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`promtool could not run (${error.message}): it comes with Debian's prometheus package (npm run services:install)`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.stdin.end(text);
  });
}

function matches(labels: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => labels[key] === value);
}

/** The value of the one sample `name{labels}`; 0 when the series is absent (a counter not yet incremented). */
export function valueOf(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  for (const family of scrape.families.values()) {
    const sample = family.samples.find((candidate) => candidate.name === name && matches(candidate.labels, labels));
    if (sample) return sample.value;
  }
  return 0;
}

export function family(scrape: Scrape, name: string, what: string): Family {
  const found = scrape.families.get(name);
  if (!found) expect.fail(`/metrics of the ${what} has no ${name} (no # TYPE ${name} line); its families: ${[...scrape.families.keys()].filter((n) => !n.startsWith('nodejs_') && !n.startsWith('process_')).join(', ') || 'none but the defaults'}`);
  return found;
}

/** A histogram's finite bucket bounds for the series matching `labels`, ascending. */
export function bucketBounds(found: Family, name: string, labels: Record<string, string> = {}): number[] {
  return found.samples
    .filter((sample) => sample.name === `${name}_bucket` && matches(sample.labels, labels))
    .map((sample) => Number(sample.labels.le))
    .filter((le) => Number.isFinite(le))
    .sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// Uploads whose outcome the harness knows

export interface SentUpload {
  kind: 'new' | 'repeat' | 'reject';
  text: string;
  result: UploadResult;
  /** Server-Timing, step → milliseconds. */
  timing: Map<string, number>;
}

/**
 * Sends `distinct` new pictures (distinct watermark texts: each a cache miss), then `repeats`
 * of them again (each a cache hit, since its original was answered 200 and cached), then
 * `rejects` uploads that are not images, one at a time.
 */
export async function sendKnownUploads(svc: RunningService, tag: string, counts: { distinct: number; repeats: number; rejects: number }): Promise<SentUpload[]> {
  const image = await tinyImage();
  const junk = await notAnImage();
  const sent: SentUpload[] = [];
  const texts = Array.from({ length: counts.distinct }, (_, i) => `${tag} ${i + 1} ${Math.random().toString(36).slice(2, 8)}`);
  const plan: Array<{ kind: SentUpload['kind']; text: string }> = [
    ...texts.map((text) => ({ kind: 'new' as const, text })),
    ...Array.from({ length: counts.repeats }, (_, i) => ({ kind: 'repeat' as const, text: texts[i % texts.length]! })),
    ...Array.from({ length: counts.rejects }, (_, i) => ({ kind: 'reject' as const, text: `${tag} junk ${i}` })),
  ];
  for (const { kind, text } of plan) {
    const result = await upload(svc.apiUrl, { image: kind === 'reject' ? junk : image, filename: kind === 'reject' ? 'notes.txt' : 'tiny.jpg', wmText: text, timeoutMs: 15_000 });
    const expected = kind === 'reject' ? 'a 4xx' : '200';
    const ok = kind === 'reject' ? result.status >= 400 && result.status < 500 : result.status === 200;
    expect(ok, `upload "${text}" (${kind}) was answered ${result.status}, not ${expected}: ${result.body.toString().slice(0, 200)}`).toBe(true);
    sent.push({ kind, text, result, timing: serverTiming(result.headers.get('server-timing')) });
  }
  return sent;
}

/** How many watermarked results Redis holds under the test's key prefix (SCAN, the server's own state). */
export async function cachedResults(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 5_000, commandTimeout: 5_000, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    let count = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}img:*`, 'COUNT', 1000);
      cursor = next;
      count += keys.length;
    } while (cursor !== '0');
    return count;
  } finally {
    redis.disconnect();
  }
}

/** The last lines a process wrote, for failure messages. */
export function tail(svc: RunningService, name: ProcessName, lines = 15): string {
  return svc.logs(name).trim().split('\n').slice(-lines).join('\n');
}

/** Polls the API's /ready until it answers 200 again (20 s at most): a link that came back must not need a restart. */
export async function untilReady(svc: RunningService, what: string): Promise<void> {
  let last = '';
  for (const deadline = performance.now() + 20_000; performance.now() < deadline; await sleep(250)) {
    const answer = await get(`${svc.apiUrl}/ready`, undefined, 10_000).catch((error: Error) => ({ status: 0, body: Buffer.from(error.message) }));
    if (answer.status === 200) return;
    last = `${answer.status} ${answer.body.toString().slice(0, 200)}`;
  }
  expect.fail(`GET /ready was still ${last} 20 s after ${what}: it must answer 200 again once the link is back, without a restart. API's last lines:\n${tail(svc, 'api')}`);
}
