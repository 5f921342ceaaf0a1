// npm run load -- <scenario> [--target URL]
//
// The load tester as the team first wrote it: one request at a time for the scenario's
// duration, then the average. Lab 02 turns it into a tool whose numbers can be trusted; the
// lab's README explains each TODO below.
//
// TODO (lab 02), in the order the README takes them:
//   1. stages: the closed model ramps connections as "closed.stages" declares (k6's ramping
//      VUs), instead of one request after another. autocannon is installed.
//   2. percentiles: record every latency in an HDR histogram (hdr-histogram-js) and report
//      p50, p90, p99, p99.9, throughput and the error rate, as text and, with --json <file>,
//      as JSON. An average hides the slow requests users remember. The JSON the lab's tests
//      read: { duration (s), requests: { total, errors, errorRate (0–1) }, throughput: { rps },
//      latency: { p50, p90, p99, "p99.9" (ms), histogram (encodeIntoCompressedBase64) } }.
//   3. open model: "open": { "rate", "duration" } starts requests at a constant rate whether
//      or not earlier ones answered, and measures each latency from its INTENDED send time
//      (coordinated omission).
//   4. thresholds: evaluate "thresholds" ("p95<500ms", "errors<1%"), print ✓/✗ for each with
//      the measured value, and exit non-zero when one fails.
import { parseArgs } from 'node:util';
import { formatDuration } from './duration.ts';
import { UserError } from './errors.ts';
import { buildRequestSource } from './request.ts';
import { loadDuration, loadScenario } from './scenario.ts';

const HELP = `npm run load -- <scenario> [--target URL]

  <scenario>   a scenario file, or the name of one in load/scenarios/ (e.g. upload-hit)
  --target     base URL of the service (default: the scenario's, else http://127.0.0.1:3000)`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      target: { type: 'string' },
      json: { type: 'string' }, // TODO (lab 02): write the JSON report to this file ("-" for stdout)
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return console.log(HELP);
  if (positionals.length !== 1) throw new UserError('give one scenario', 'e.g. npm run load -- upload-hit');

  const scenario = loadScenario(positionals[0]!, { target: values.target });
  const source = await buildRequestSource(scenario.request);
  // TODO (lab 02): honour closed.stages and open instead of only their total duration.
  const duration = loadDuration(scenario);
  console.log(`${scenario.name}: ${source.describe} → ${scenario.target} for ${formatDuration(duration)}, one request at a time`);

  let requests = 0;
  let errors = 0;
  let totalMs = 0;
  const end = performance.now() + duration;
  while (performance.now() < end) {
    const request = source.next();
    const started = performance.now();
    try {
      const response = await fetch(new URL(request.path, scenario.target), {
        method: request.method,
        headers: request.headers,
        body: request.body ? new Uint8Array(request.body) : undefined,
        signal: AbortSignal.timeout(scenario.timeout),
      });
      await response.arrayBuffer();
      if (response.status >= 400) errors++;
    } catch {
      errors++;
    }
    totalMs += performance.now() - started;
    requests++;
  }

  // TODO (lab 02): percentiles from an HDR histogram instead of the average; thresholds.
  const average = requests ? totalMs / requests : 0;
  console.log(`${requests} requests, average ${average.toFixed(1)} ms, ${errors} errors`);
}

main().catch((error: unknown) => {
  if (error instanceof UserError) {
    console.error(`load: ${error.message}${error.fix ? `\n  → ${error.fix}` : ''}`);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
});
