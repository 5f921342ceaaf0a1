// The figures of the README's "coordinated omission" section, measured again on this machine:
//
//   node labs/02-load-testing/measure/coordinated-omission.ts [--tree workspace] [--seconds 6] [--rate 50]
//
// Each run meets a fresh stalling server (answers at once, freezes 1 s every 2 s, the first
// freeze 1 s after it starts), so every tool meets the same freezes at the same moments:
//   1. autocannon, 1 connection: one request at a time, like lab 02's starter script;
//   2. autocannon, 10 connections, as fast as they can (closed model);
//   3. autocannon, 10 connections limited to --rate req/s (its -R), as autocannon reports it,
//      then the same responses re-counted with no correction, with autocannon's 1 ms expected
//      interval, and with the interval its connections really had (10 / rate s);
//   4. the tree's load tool (load/cli.ts), open model at --rate req/s: latency from the
//      intended send time, and in the same run from the actual send;
//   5. the same with maxConnections 2, so that requests wait in the client.
// It ends with the server's own median service time, which no freeze ever reaches.
//
// On lab 02's starter (or any tree whose load/cli.ts writes no --json report yet) rows 4 and
// 5 come from the starter's own printed line, then from a minimal open model built into this
// script (a timetable over node:http), so the demo runs before anyone has written the lab.
import { existsSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { build, type Histogram } from 'hdr-histogram-js';
import { numberAt, runLoad } from '../test/load-cli.ts';
import { startStallingServer } from '../test/stalling.ts';

const root = resolve(import.meta.dirname, '../../..');
const { values } = parseArgs({
  options: {
    tree: { type: 'string', default: 'workspace' },
    seconds: { type: 'string', default: '6' },
    rate: { type: 'string', default: '50' },
  },
});
const tree = resolve(root, values.tree!);
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const hasTool = existsSync(join(tree, 'load/cli.ts'));
/** Set when the tree's tool writes no JSON report: rows 4 and 5 then come from the built-in open model. */
let toolWroteNoReport = !hasTool;
if (!hasTool) {
  console.error(`${tree} has no load/cli.ts: rows 4 and 5 use this script's built-in open model. To measure the reference solution:
  npm run lab tree 02 -- --solution --out .lab/trees/02-solution
  node labs/02-load-testing/measure/coordinated-omission.ts --tree .lab/trees/02-solution`);
}

interface Figures {
  /** Requests answered. */
  requests: number;
  /** Values in the latency histogram (more than requests when a correction adds some). */
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}
type Row = Figures & { tool: string };

const cell = (n: number) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : '–');
const rows: Row[] = [];
const medians: number[] = [];

/** Runs `run` against a fresh stalling server; it returns its rows, first the headline one. */
async function measure(run: (url: string) => Promise<Row[]>): Promise<void> {
  const server = await startStallingServer(1000, 2000);
  try {
    const measured = await run(server.url);
    rows.push(...measured);
    medians.push((await server.stats()).median);
    const [first] = measured;
    console.error(`  ${first!.tool}: ${first!.requests} requests, p50 ${cell(first!.p50)} ms, p99 ${cell(first!.p99)} ms, mean ${cell(first!.mean)} ms`);
  } finally {
    server.stop();
  }
}

function fromHistogram(h: Histogram, requests: number): Figures {
  // Recorded in µs.
  const ms = (us: number) => us / 1000;
  return {
    requests,
    samples: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  };
}

// autocannon 9 reports the histogram's count as latency.totalCount; its types do not list it.
const samplesOf = (latency: autocannon.Histogram) => (latency as unknown as { totalCount: number }).totalCount;

async function viaAutocannon(url: string, tool: string, options: Partial<autocannon.Options>): Promise<Row[]> {
  const result = await autocannon({ url, duration: seconds, ...options });
  const { latency } = result;
  return [{ tool, requests: result.requests.total, samples: samplesOf(latency), p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max, mean: latency.average }];
}

async function viaRateLimitedAutocannon(url: string): Promise<Row[]> {
  const connections = 10;
  const raw = build({ numberOfSignificantValueDigits: 3 });
  const instance = autocannon({ url, duration: seconds, connections, overallRate: rate }, () => {});
  instance.on('response', (_client, _status, _bytes, ms) => raw.recordValue(Math.max(1, Math.round(ms * 1000))));
  const result = await new Promise<autocannon.Result>((done) => instance.on('done', done));
  const { latency } = result;
  const realIntervalMs = 1000 / (rate / connections);
  return [
    { tool: `autocannon -c ${connections} -R ${rate}, as it reports`, requests: result.requests.total, samples: samplesOf(latency), p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max, mean: latency.average },
    { tool: '  same responses, no correction', ...fromHistogram(raw, raw.totalCount) },
    { tool: '  same responses, corrected with a 1 ms interval', ...fromHistogram(raw.copyCorrectedForCoordinatedOmission(1000), raw.totalCount) },
    { tool: `  same responses, corrected with the real ${realIntervalMs} ms interval`, ...fromHistogram(raw.copyCorrectedForCoordinatedOmission(realIntervalMs * 1000), raw.totalCount) },
  ];
}

/** The tree's load tool on an open-model scenario; null when it wrote no JSON report (lab 02's starter). */
async function viaLoadTool(url: string, open: { rate: number; duration: string; maxConnections?: number }): Promise<Row[]> {
  const run = await runLoad(tree, { request: { method: 'GET', path: '/' }, open }, { target: url, timeoutMs: (seconds + 20) * 1000 });
  if (!run.report) {
    // The starter prints "N requests, average X ms, E errors" and ignores "open": keep its own line.
    const printed = /(\d+) requests, average ([\d.]+) ms/.exec(run.output);
    if (!printed) throw new Error(`the load tool wrote no report and printed no "N requests, average X ms" line:\n${run.output}`);
    toolWroteNoReport = true;
    const [requests, mean] = [Number(printed[1]), Number(printed[2])];
    return [{ tool: `load/cli.ts of ${values.tree} (no JSON report), as it prints`, requests, samples: requests, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean }];
  }
  const figures = (key: string): Figures => {
    const at = (name: string) => numberAt(run.report, `${key}/${name}`) ?? NaN;
    return { requests: at('count'), samples: at('count'), p50: at('p50'), p90: at('p90'), p99: at('p99'), max: at('max'), mean: at('mean') };
  };
  const limit = open.maxConnections ? `, maxConnections ${open.maxConnections}` : '';
  return [
    { tool: `load/cli.ts open model ${open.rate}/s${limit}, from the intended send`, ...figures('latency') },
    { tool: '  same run, from the actual send', ...figures('latencyFromSend') },
  ];
}

/**
 * A minimal open model, for trees whose tool has none yet: request i is due at start + i / rate
 * and is sent then, whatever the earlier ones did; its latency is recorded from that intended
 * time and, in a second histogram, from when it got a socket. At most `maxConnections` sockets.
 */
async function viaBuiltInOpenModel(url: string, maxConnections: number): Promise<Row[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxConnections });
  const fromIntended = build({ numberOfSignificantValueDigits: 3 });
  const fromSend = build({ numberOfSignificantValueDigits: 3 });
  const us = (ms: number) => Math.max(1, Math.round(ms * 1000));
  const planned = Math.round(seconds * rate);
  const start = performance.now();
  const answers: Promise<void>[] = [];
  const send = (due: number) =>
    new Promise<void>((done) => {
      let sentAt = due;
      const req = http.get(url, { agent, timeout: (seconds + 10) * 1000 }, (res) => {
        res.resume();
        res.once('end', () => {
          const now = performance.now();
          fromIntended.recordValue(us(now - due));
          fromSend.recordValue(us(now - sentAt));
          done();
        });
      });
      req.once('socket', () => (sentAt = performance.now()));
      req.once('error', () => done());
    });
  for (let i = 0; i < planned; ) {
    const now = performance.now();
    // Send everything whose time has come: timers fire late on a busy loop.
    while (i < planned && start + (i * 1000) / rate <= now) answers.push(send(start + (i++ * 1000) / rate));
    if (i < planned) await new Promise((wake) => setTimeout(wake, Math.max(0, start + (i * 1000) / rate - performance.now())));
  }
  await Promise.all(answers);
  agent.destroy();
  const limit = maxConnections < 256 ? `, maxConnections ${maxConnections}` : '';
  return [
    { tool: `built-in open model ${rate}/s${limit}, from the intended send`, ...fromHistogram(fromIntended, fromIntended.totalCount) },
    { tool: '  same run, from the actual send', ...fromHistogram(fromSend, fromSend.totalCount) },
  ];
}

await measure((url) => viaAutocannon(url, 'autocannon -c 1 (one request at a time)', { connections: 1 }));
await measure((url) => viaAutocannon(url, 'autocannon -c 10 (closed, flat out)', { connections: 10 }));
await measure(viaRateLimitedAutocannon);
if (hasTool) await measure((url) => viaLoadTool(url, { rate, duration: `${seconds}s` }));
if (toolWroteNoReport) {
  await measure((url) => viaBuiltInOpenModel(url, 256));
  await measure((url) => viaBuiltInOpenModel(url, 2));
} else {
  await measure((url) => viaLoadTool(url, { rate, duration: `${seconds}s`, maxConnections: 2 }));
}

console.log(`\n${seconds} s against a server that freezes 1 s every 2 s (latencies in ms)\n`);
console.log('| tool | requests | samples | p50 | p90 | p99 | max | mean |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const row of rows) {
  console.log(`| ${row.tool} | ${row.requests} | ${row.samples} | ${cell(row.p50)} | ${cell(row.p90)} | ${cell(row.p99)} | ${cell(row.max)} | ${cell(row.mean)} |`);
}
console.log(`\nThe server's own median service time in those runs: ${medians.map((m) => m.toFixed(3)).join(', ')} ms.`);
