// What one log line costs the process that writes it, for the README's "cost of a line":
//
//   node labs/03-structured-logging/measure/log-cost.ts [--lines 50000] [--runs 3]
//
// Each variant runs in a child process whose stdout is a pipe this process drains, as a log
// shipper or the harness would. The child writes --lines copies of a typical step line and
// reports two times: how long the loop of log calls held its event loop (what a request
// pays), and how long until the last byte had left (what the machine pays). The median of
// --runs runs per variant is printed. Variants:
//   console.log     the starter: a template string, synchronous write on a pipe
//   pino sync       JSON, each line written before the call returns
//   pino async      JSON into sonic-boom's buffer, written by the event loop (the solution)
//   + exact redact  the solution's logger: async, redaction by exact paths
//   + wildcard      the same with a wildcard path (*.headers.cookie) as well
//   pino-pretty     the terminal format, in the process
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Logger } from 'pino';
import pretty from 'pino-pretty';
import { createLogger } from '../solution/lib/logger.ts';

const variants = {
  'console.log': null,
  'pino sync': () => pino({ base: { service: 'api' } }, pino.destination({ dest: 1, sync: true })),
  'pino async': () => pino({ base: { service: 'api' } }, pino.destination({ dest: 1, sync: false })),
  '+ exact redact': () => createLogger('api', { LOG_LEVEL: 'info', LOG_FORMAT: 'json' }),
  '+ wildcard redact': () =>
    pino({ base: { service: 'api' }, redact: ['headers["authorization"]', 'headers["cookie"]', '*.headers.cookie'] }, pino.destination({ dest: 1, sync: false })),
  'pino-pretty': () => pino({ base: { service: 'api' } }, pretty({ colorize: false, singleLine: true, sync: true })),
} satisfies Record<string, (() => Logger) | null>;
type Variant = keyof typeof variants;

const { values } = parseArgs({
  options: { lines: { type: 'string', default: '50000' }, runs: { type: 'string', default: '3' }, variant: { type: 'string' } },
});
const lines = Number(values.lines);
const runs = Number(values.runs);
if (!Number.isInteger(lines) || lines < 1 || !Number.isInteger(runs) || runs < 1) {
  console.error('log-cost: --lines and --runs take whole numbers ≥ 1, e.g. --lines 50000 --runs 3');
  process.exit(1);
}

/** Writes the lines, then reports its two times on fd 3. */
async function child(name: Variant): Promise<void> {
  const make = variants[name];
  const log = make?.();
  const fields = { request_id: 'b3c1f0de-7f0a-4c51-9a8e-2f5d3c0a9e11', step: 'redis', op: 'get', duration_ms: 1.3, bytes: 0, cache: 'miss', outcome: 'miss' };
  const startedAt = performance.now();
  for (let i = 0; i < lines; i++) {
    if (log) log.info(fields, 'redis get: miss');
    else console.log(`[api] ${fields.request_id} redis get miss in ${fields.duration_ms} ms (${fields.bytes} bytes)`);
  }
  const blocked = performance.now() - startedAt;
  // Everything handed over: pino.flush waits for the buffer; console.log on a pipe is already out.
  if (log) await new Promise<void>((resolve, reject) => log.flush((error) => (error ? reject(error) : resolve())));
  const flushed = performance.now() - startedAt;
  writeSync(3, JSON.stringify({ blocked, flushed }));
}

async function runChild(name: Variant): Promise<{ blocked: number; flushed: number; bytes: number }> {
  const proc = spawn(process.execPath, [import.meta.filename, '--variant', name, '--lines', String(lines)], { stdio: ['ignore', 'pipe', 'inherit', 'pipe'] });
  let bytes = 0;
  let report = '';
  proc.stdout!.on('data', (chunk: Buffer) => (bytes += chunk.length));
  proc.stdio[3]!.on('data', (chunk: Buffer) => (report += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  if (code !== 0) throw new Error(`variant ${name} exited with ${code}`);
  return { ...(JSON.parse(report) as { blocked: number; flushed: number }), bytes };
}

const median = (numbers: number[]) => numbers.toSorted((a, b) => a - b)[Math.floor(numbers.length / 2)]!;

async function parent(): Promise<void> {
  console.log(`${lines} lines per run, median of ${runs} runs, stdout a pipe drained by this process\n`);
  console.log('variant               blocked µs/line   until out µs/line   bytes/line   vs pino async');
  const rows: Array<[Variant, number, number, number]> = [];
  for (const name of Object.keys(variants) as Variant[]) {
    const results = [];
    for (let i = 0; i < runs; i++) results.push(await runChild(name));
    rows.push([name, (median(results.map((r) => r.blocked)) * 1000) / lines, (median(results.map((r) => r.flushed)) * 1000) / lines, results[0]!.bytes / lines]);
  }
  const reference = rows.find(([name]) => name === 'pino async')![2];
  for (const [name, blocked, flushed, bytes] of rows) {
    console.log(`${name.padEnd(20)} ${blocked.toFixed(2).padStart(16)} ${flushed.toFixed(2).padStart(19)} ${bytes.toFixed(0).padStart(12)} ${`${(flushed / reference).toFixed(1)}×`.padStart(15)}`);
  }
}

if (values.variant) await child(values.variant as Variant);
else await parent();
