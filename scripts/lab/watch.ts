// `npm run verify lab-NN -- --watch`: verifies workspace/ again on every save, with the servers
// and one vitest kept up between runs, and a one-screen summary after each (rustlings' watch).
import { readFileSync, watch } from 'node:fs';
import { join, sep } from 'node:path';
import type { Lab } from './catalog.ts';
import { formatUserError, isUserError, UserError } from './errors.ts';
import { loadLabMeta, type LabMeta } from './lab-meta.ts';
import { workspaceDir, type LabRepo } from './paths.ts';
import { allLabProgress, progressLine, readProgress, recordVerify, writeProgress } from './progress.ts';
import { idsInSource, labTestFiles } from './test-files.ts';
import { formatLabResult, mapResults, statuses, type LabResult } from './verify-report.ts';
import { openSession, type SessionRun, type VitestSession } from './vitest-session.ts';
import { criteriaPattern, isServiceChange, saveBatcher, selectedCriteria, type SaveBatch } from './watch-saves.ts';
import { assertWorkspaceReady, readWorkspaceState } from './workspace.ts';

export interface WatchFlags {
  watch?: boolean;
  solution?: boolean;
  cumulative?: boolean;
  cheat?: string;
  /** -t, repeatable; npm may hand a single one over as a string. */
  criterion?: string | string[];
}

/** The -t values; refuses the flags --watch does not combine with, and -t without --watch. */
export function watchCriteria(flags: WatchFlags): string[] {
  const criteria = typeof flags.criterion === 'string' ? [flags.criterion] : Array.isArray(flags.criterion) ? flags.criterion : [];
  if (!flags.watch) {
    if (criteria.length > 0) throw new UserError('-t selects criteria for --watch only', 'add --watch, or drop -t to verify every criterion');
    return [];
  }
  const other = flags.solution ? '--solution' : flags.cumulative ? '--cumulative' : flags.cheat !== undefined ? '--cheat' : undefined;
  if (other) throw new UserError(`--watch reruns on saves in workspace/ and does not combine with ${other}`, `drop ${other}, or drop --watch`);
  return criteria;
}

/** Only the selected criteria's lines (all when none is selected), and no skipped stray test. */
function selectedResult(result: LabResult, ids: readonly string[]): LabResult {
  if (ids.length === 0) return result;
  return {
    ...result,
    criteria: result.criteria.filter((entry) => ids.includes(entry.criterion.id)),
    unmapped: result.unmapped.filter((test) => test.status !== 'skipped'),
  };
}

/** A run of some criteria updates only theirs; the others keep what the last full verify found. */
function recordRun(repo: LabRepo, result: LabResult, ids: readonly string[]): void {
  const progress = readProgress(repo);
  const before = ids.length > 0 ? (progress.labs[result.lab.name]?.criteria ?? {}) : {};
  writeProgress(repo, recordVerify(progress, result.lab, { ...before, ...statuses(selectedResult(result, ids)) }, new Date()));
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function timingLine(run: SessionRun, batch: SaveBatch | undefined, startedAt: number, endedAt: number): string {
  const took = `run ${seconds(endedAt - startedAt)}`;
  if (!batch || run.firstTestAt === undefined) return took;
  const file = run.firstFileAt === undefined ? '' : `first file ${seconds(run.firstFileAt - batch.firstAt)}, `;
  return `after your save: ${file}first test ${seconds(run.firstTestAt - batch.firstAt)} · ${took}`;
}

interface Plan {
  lab: Lab;
  meta: LabMeta;
  ids: string[];
  files: string[];
  sources: Map<string, string>;
}

function planWatch(repo: LabRepo, lab: Lab, criteria: string[]): Plan {
  assertWorkspaceReady(repo, lab);
  const meta = loadLabMeta(repo, lab);
  const ids = selectedCriteria(criteria, meta, lab.nn);
  const sources = new Map(labTestFiles(lab).map((file) => [file, readFileSync(file, 'utf8')]));
  // Only the files that name a selected criterion: the others would start services to skip every test.
  const files = [...sources.keys()].filter((file) => ids.length === 0 || ids.some((id) => idsInSource(sources.get(file)!).has(id)));
  if (files.length === 0) throw new UserError(`labs/${lab.name}/test has no test file${ids.length > 0 ? ` for ${ids.join(', ')}` : ''}`, 'npm run lab check');
  return { lab, meta, ids, files, sources };
}

async function runAndReport(repo: LabRepo, plan: Plan, session: VitestSession, batch: SaveBatch | undefined, count: number): Promise<void> {
  const { lab, meta, ids } = plan;
  // Clears the screen and its scrollback, so each run's summary is all there is to read.
  if (process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[3J\x1b[H');
  const only = ids.length > 0 ? ` (only ${ids.join(', ')})` : '';
  const saved = batch ? ` · saved ${batch.paths.slice(0, 3).join(', ')}${batch.paths.length > 3 ? ' …' : ''}` : '';
  console.log(`Watching lab ${lab.nn} · ${meta.title}${only} in workspace/ · run ${count}${saved}`);
  const state = readWorkspaceState(repo);
  if (state && state.lab !== lab.name) console.log(`  ! workspace/ holds lab ${state.lab} ${state.variant}, not lab ${lab.name}`);
  const startedAt = performance.now();
  try {
    const run = await session.run((batch?.paths ?? []).map((path) => join(workspaceDir(repo), path)));
    const result = mapResults({ lab, meta, sources: plan.sources }, run.outcomes);
    for (const line of formatLabResult(selectedResult(result, ids))) console.log(line);
    recordRun(repo, result, ids);
    console.log(progressLine(allLabProgress(repo)));
    console.log(timingLine(run, batch, startedAt, performance.now()));
  } catch (error) {
    if (!isUserError(error)) throw error;
    console.log(formatUserError(error));
  }
  console.log('Save a file in workspace/ to run again; Ctrl-C stops.');
}

export async function watchLab(repo: LabRepo, lab: Lab, options: { criteria: string[]; verbose: boolean }): Promise<number> {
  const plan = planWatch(repo, lab, options.criteria);
  const tree = workspaceDir(repo);
  const session = await openSession(repo, plan.files, { tree, verbose: options.verbose, ...(plan.ids.length > 0 ? { testNamePattern: criteriaPattern(plan.ids) } : {}) });

  let count = 0;
  let running: Promise<void> | undefined;
  let queued: SaveBatch | undefined;
  let closing = false;
  const schedule = (batch: SaveBatch | undefined): void => {
    if (closing) return;
    if (running) {
      // A save during a run: its results are out of date, so end it and run again with every save since.
      queued = batch && queued ? { paths: [...new Set([...queued.paths, ...batch.paths])], firstAt: Math.min(queued.firstAt, batch.firstAt) } : batch;
      void session.cancel();
      return;
    }
    running = runAndReport(repo, plan, session, batch, ++count).finally(() => {
      running = undefined;
      const next = queued;
      queued = undefined;
      if (next) schedule(next);
    });
  };

  const batcher = saveBatcher(schedule);
  const watcher = watch(tree, { recursive: true }, (_event, name) => {
    const path = name?.split(sep).join('/');
    if (path && isServiceChange(path)) batcher.add(path);
  });
  schedule(undefined);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  closing = true;
  // A second Ctrl-C stops at once; the stack's exit handler still kills the servers.
  process.once(signal, () => process.exit(130));
  console.log('\nStopping the watch …');
  batcher.close();
  watcher.close();
  await session.cancel();
  await running?.catch(() => undefined);
  await session.close();
  return 0;
}
