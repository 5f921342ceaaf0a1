// Runs the tree's load tool (load/cli.ts) as a child process, the way `npm run load` does,
// on a scenario written to a temp file. Asynchronous on purpose: the servers these tests
// measure run in the test process and must keep answering while the tool runs.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LoadRun {
  /** Exit code, or null when the tool died from a signal. */
  code: number | null;
  /** stdout and stderr together. */
  output: string;
  /** The --json report, when the tool wrote one. */
  report: Record<string, unknown> | undefined;
  scenarioFile: string;
}

export async function runLoad(tree: string, scenario: object, options: { target: string; timeoutMs: number; name?: string }): Promise<LoadRun> {
  const dir = mkdtempSync(join(tmpdir(), 'nws-load-test-'));
  const scenarioFile = join(dir, `${options.name ?? 'scenario'}.json`);
  const reportFile = join(dir, 'report.json');
  writeFileSync(scenarioFile, JSON.stringify(scenario, null, 2));
  const child = spawn(process.execPath, [join(tree, 'load', 'cli.ts'), scenarioFile, '--target', options.target, '--json', reportFile], {
    cwd: tree,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', (exit) => resolve(exit)));
  clearTimeout(timer);
  // A tool that never ends fails the test with its own message, not the runner's timeout.
  if (hung) throw new Error(`load/cli.ts did not finish within ${options.timeoutMs / 1000} s and was killed; its output:\n${output}`);
  let report: Record<string, unknown> | undefined;
  if (existsSync(reportFile)) {
    try {
      report = JSON.parse(readFileSync(reportFile, 'utf8')) as Record<string, unknown>;
    } catch {
      report = undefined;
    }
  }
  return { code, output, report, scenarioFile };
}

/** Reads a number at a slash-separated path of the report ("latency/p99.9"), or undefined. */
export function numberAt(report: Record<string, unknown> | undefined, path: string): number | undefined {
  let value: unknown = report;
  for (const key of path.split('/')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return typeof value === 'number' ? value : undefined;
}
