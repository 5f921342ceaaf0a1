// `npm run trace -- <request-id | trace-id>`: prints one upload's trace as a text tree, from the
// spans npm start's receiver wrote (.lab/traces/spans.jsonl), so the trace can be seen without
// Jaeger. The request id is the X-Request-Id of the answer (the web page shows it; every log
// line carries it as request_id); the http instrumentation records it on the server spans.
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSpanLines } from '../shared/harness/otlp-receiver.ts';
import { formatTrace, traceFilePath, tracesWithAttribute } from '../shared/harness/trace-tree.ts';

const root = resolve(import.meta.dirname, '..');
const { values, positionals } = parseArgs({ allowPositionals: true, options: { file: { type: 'string' }, last: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
const HELP = `npm run trace -- <request-id | trace-id> [--file <spans.jsonl>]
npm run trace -- --last

  Prints the trace of one request as a tree: every span of the API, the optimizer and the worker,
  indented under its parent, with its start and end. The spans are those npm start's receiver
  decoded (lab 08 on), in ${relative(root, traceFilePath(root))}; --last prints the latest trace.`;

function fail(message: string, fix?: string): never {
  console.error(`✗ ${message}`);
  if (fix) console.error(`Fix: ${fix}`);
  process.exit(1);
}

if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const file = resolve(values.file ?? traceFilePath(root));
if (!existsSync(file)) fail(`no spans yet: ${relative(root, file)} does not exist`, 'run npm start on lab 08 or later (its processes export spans to npm start\'s receiver), upload a picture, then npm run trace -- <its X-Request-Id>');
const spans = parseSpanLines(readFileSync(file, 'utf8'));
const wanted = positionals[0];
let traceIds: string[];
if (values.last) {
  const latest = spans.reduce<(typeof spans)[number] | undefined>((best, span) => (!best || span.startNs > best.startNs ? span : best), undefined);
  traceIds = latest ? [latest.traceId] : [];
} else if (!wanted) {
  fail('which request? Give its request id (X-Request-Id) or its trace id', 'npm run trace -- <request-id>, or npm run trace -- --last');
} else if (/^[0-9a-f]{32}$/.test(wanted)) {
  traceIds = [wanted];
} else {
  traceIds = tracesWithAttribute(spans, wanted);
}
if (traceIds.length === 0) fail(`no span in ${relative(root, file)} (${spans.length} spans) mentions ${wanted ?? 'anything'}`, 'check the id (the answer\'s X-Request-Id header), and that the upload was made under npm start with tracing (lab 08 on); a sampled-out trace (OTEL_TRACES_SAMPLER_ARG below 1) has no spans');
for (const traceId of traceIds) console.log(`${formatTrace(spans.filter((span) => span.traceId === traceId))}\n`);
