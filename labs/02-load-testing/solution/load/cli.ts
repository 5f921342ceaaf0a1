// npm run load -- <scenario> [--target URL] [--json <file>] [--quiet]
//
// Runs a scenario (load/scenarios/*.json, or any file) against the service: a closed model
// ramped by stages, or an open model at a constant arrival rate; prints percentiles,
// throughput and errors, checks the thresholds, and exits 2 when one fails.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runClosed } from './closed-model.ts';
import { formatDuration } from './duration.ts';
import { UserError } from './errors.ts';
import { runOpen } from './open-model.ts';
import { Recorder } from './recorder.ts';
import { buildReport, formatReport, type LoadFacts } from './report.ts';
import { buildRequestSource } from './request.ts';
import { loadScenario } from './scenario.ts';
import { describeStages, stagesDuration } from './stages.ts';
import { assertReachable } from './target.ts';
import { formatMs, parseThresholds } from './thresholds.ts';

const HELP = `npm run load -- <scenario> [--target URL] [--json <file>] [--quiet]

  <scenario>   a scenario file, or the name of one in load/scenarios/ (e.g. upload-hit)
  --target     base URL of the service (default: the scenario's, else http://127.0.0.1:3000)
  --json       also write the report as JSON to this file ("-" prints it instead of the text)
  --quiet      no progress lines

Exit status: 0 when every threshold holds, 2 when one fails, 1 when the run could not happen.`;

const EXIT_THRESHOLD_FAILED = 2;

function parseCommandLine() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        target: { type: 'string' },
        json: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    // node:util's messages are clear ("Unknown option '--rate'"); only the stack is not.
    throw new UserError((error as Error).message.split('. ')[0]!, 'see npm run load -- --help');
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseCommandLine();
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UserError(`give one scenario${positionals.length ? `, not ${positionals.length}` : ''}`, 'e.g. npm run load -- upload-hit');
  const jsonOnly = values.json === '-';
  // With --json -, stdout carries the JSON alone; the text goes to stderr.
  const say = (line: string) => (jsonOnly ? console.error(line) : console.log(line));
  const progress = (line: string) => values.quiet || console.error(line);

  // 1. Everything that can be wrong with the input is found before any load is sent.
  const scenario = loadScenario(positionals[0]!, { target: values.target });
  const thresholds = parseThresholds(scenario.thresholds, scenario.shown);
  const source = await buildRequestSource(scenario.request);
  await assertReachable(scenario.target);

  // 2. The load. Ctrl-C ends it early and still reports what was measured; a second one quits.
  const stop = new AbortController();
  process.once('SIGINT', () => {
    console.error('  stopping early (Ctrl-C): the report covers what was measured; Ctrl-C again quits at once');
    stop.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  const recorder = new Recorder();
  const startedAt = new Date();
  let elapsed: number;
  let load: LoadFacts;
  const tail = () => {
    const window = recorder.takeWindow();
    return `${String(window.responses).padStart(6)} answers   p99 ${formatMs(window.p99).padStart(7)} ms   errors ${window.errors}`;
  };
  if (scenario.closed) {
    const { stages } = scenario.closed;
    say(`${scenario.name}: ${source.describe} → ${scenario.target}; closed model, ${describeStages(stages)} connections over ${formatDuration(stagesDuration(stages))}`);
    const result = await runClosed(scenario, stages, source, recorder, ({ elapsed, connections }) =>
      progress(`  ${formatDuration(elapsed).padStart(6)}   ${String(connections).padStart(4)} conns ${tail()}`),
      stop.signal,
    );
    elapsed = result.elapsed;
    load = { model: 'closed', stages: describeStages(stages), peakConnections: result.peakConnections };
  } else {
    const open = scenario.open!;
    say(`${scenario.name}: ${source.describe} → ${scenario.target}; open model, ${open.rate} requests/s for ${formatDuration(open.duration)}`);
    const result = await runOpen(scenario, open, source, recorder, ({ elapsed, sent, inFlight }) =>
      progress(`  ${formatDuration(elapsed).padStart(6)}   ${String(sent).padStart(6)} sent   ${String(inFlight).padStart(4)} in flight ${tail()}`),
      stop.signal,
    );
    elapsed = result.elapsed;
    load = { model: 'open', rate: open.rate, planned: result.planned, sent: result.sent, maxInFlight: result.maxInFlight, maxConnections: open.maxConnections };
  }

  // 3. The report and the verdict.
  const report = buildReport({ scenario, request: source.describe, startedAt, elapsed, load, recorder, thresholds, stoppedEarly: stop.signal.aborted });
  say(formatReport(report));
  if (values.json !== undefined) {
    const json = `${JSON.stringify(report, null, 2)}\n`;
    if (jsonOnly) process.stdout.write(json);
    else {
      writeFileSync(resolve(values.json), json);
      say(`report written to ${values.json}`);
    }
  }
  const failed = report.thresholds.filter((result) => !result.ok);
  if (failed.length) {
    say(`\n✗ ${failed.length} of ${report.thresholds.length} thresholds failed: ${failed.map((result) => result.expression).join(', ')}`);
    return EXIT_THRESHOLD_FAILED;
  }
  say(report.thresholds.length ? `\n✓ all ${report.thresholds.length} thresholds hold` : '\nno thresholds to check');
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    if (error instanceof UserError) {
      console.error(`load: ${error.message}${error.fix ? `\n  → ${error.fix}` : ''}`);
    } else {
      console.error(error);
    }
    process.exitCode = 1;
  },
);
