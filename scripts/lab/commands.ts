// What each `npm run lab <command>` prints: one line per step, then a "Next:" line with the
// exact command to run. The work itself is done by the engine modules this file calls.
import { existsSync, readdirSync, symlinkSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { buildBranches, readBranchFile } from './branches.ts';
import { carryWorkspace, type CarryOutcome } from './carry.ts';
import { LAB_FOLDER, listLabs, type Lab, type Variant } from './catalog.ts';
import { runChecks } from './check.ts';
import { writeChecklist } from './checklist.ts';
import { debriefFile, debriefScreen } from './debrief.ts';
import { labDiff } from './diff.ts';
import { UserError } from './errors.ts';
import { nextHint, type HintWhy } from './hint.ts';
import { loadLabMeta, tryLoadLabMeta } from './lab-meta.ts';
import { lockLab } from './lock.ts';
import { movingOn, nextAfterGreen, previousLab } from './move-on.ts';
import { shown, treesDir, workspaceDir, type LabRepo } from './paths.ts';
import { plannedLabs } from './planned.ts';
import { allLabProgress, isComplete, labPassed, labProgress, progressCell, progressLine, readProgress } from './progress.ts';
import { rebaseLab, type RebaseResult } from './rebase.ts';
import { createReport, reportCriteria } from './report.ts';
import { writeSchemaFile } from './schema-file.ts';
import { cheatTree, labTree, materialize } from './tree.ts';
import { atRisk, startWorkspace, workspaceChanges } from './workspace.ts';

const say = (line = '') => console.log(line);

/** The learner's next step, from progress and what workspace/ holds. */
export function suggestNext(repo: LabRepo): string {
  const entries = allLabProgress(repo);
  const next = entries.find((entry) => !isComplete(entry));
  if (!next) {
    const last = entries.at(-1);
    const written = plannedLabs(listLabs(repo)).length > 0 ? ' written so far' : '';
    return last ? `every lab${written} is done; npm run verify lab-${last.lab.nn} -- --cumulative checks they all still hold` : 'add a lab under labs/';
  }
  const state = workspaceChanges(repo).state;
  return state?.lab === next.lab.name ? `npm run verify lab-${next.lab.nn}` : `npm run lab start ${next.lab.nn}`;
}

export function cmdList(repo: LabRepo, withWorkspace: boolean): void {
  const labs = listLabs(repo);
  if (labs.length === 0) {
    say(`No labs under ${shown(repo, repo.labsDir)}/ yet.`);
    return;
  }
  const progress = readProgress(repo);
  const rows = labs.map((lab) => {
    const meta = tryLoadLabMeta(repo, lab);
    if (!meta) return [lab.nn, `${lab.slug} (lab.json is invalid: npm run lab check)`, '', '', ''];
    return [lab.nn, meta.title, meta.level, meta.duration, progressCell(labProgress(lab, meta, progress))];
  });
  // On a workshop branch, the labs it leaves out are named with the branch that carries them.
  const elsewhere = (readBranchFile(repo)?.labs ?? []).flatMap((name) => {
    const match = LAB_FOLDER.exec(name);
    return match && !labs.some((lab) => lab.name === name) ? [{ nn: match[1]!, slug: match[2]! }] : [];
  });
  for (const lab of elsewhere) rows.push([lab.nn, lab.slug, '', '', `on branch lab-${lab.nn}-starter`]);
  for (const planned of plannedLabs([...labs, ...elsewhere.map((lab) => ({ number: Number(lab.nn) }))])) rows.push([planned.nn, planned.title, '', '', 'not yet written']);
  rows.sort(([a], [b]) => Number(a) - Number(b));
  const header = ['#', 'lab', 'level', 'time', 'progress'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  for (const row of [header, ...rows]) say(`  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}`);
  if (withWorkspace) {
    const changes = workspaceChanges(repo);
    say();
    if (!changes.hasContent) say('workspace/ is empty.');
    else if (!changes.state) say('workspace/ holds files the lab tools did not write.');
    else {
      const changed = atRisk(changes).length + changes.deleted.length;
      say(`workspace/ holds lab ${changes.state.lab} ${changes.state.variant}${changed ? `, ${changed} file${changed === 1 ? '' : 's'} changed since` : ', unchanged'}.`);
    }
    say(progressLine(allLabProgress(repo)));
  }
  say(`Next: ${suggestNext(repo)}`);
}

export function cmdStart(repo: LabRepo, lab: Lab, variant: Variant, options: { force: boolean; carry: boolean }): number {
  const meta = loadLabMeta(repo, lab);
  if (options.carry) {
    if (variant !== 'starter') throw new UserError('--carry only goes with lab start', `npm run lab start ${lab.nn} -- --carry`);
    if (options.force) throw new UserError('--carry keeps your code and --force replaces it: pick one', `npm run lab start ${lab.nn} -- --carry`);
    return printCarry(repo, lab, meta.title);
  }
  say(`Lab ${lab.nn} · ${meta.title} — ${variant}`);
  const moving = variant === 'starter' ? movingOn(repo, lab) : null;
  const result = startWorkspace(repo, lab, variant, { force: options.force, movingOn: moving });
  if (moving?.passed) say(`  ✓ lab ${moving.from.nn} passed at your last verify: moving on`);
  if (result.backup) {
    const was = result.previous ? ` (was lab ${result.previous.lab} ${result.previous.variant})` : '';
    say(`  ✓ backed up workspace/${was} to ${shown(repo, result.backup)}/`);
  }
  say(`  ✓ wrote ${result.files} files to ${shown(repo, workspaceDir(repo))}/`);
  const from = variant === 'starter' ? previousLab(repo, lab) : undefined;
  if (from) say(`  · lab ${lab.nn} starts from lab ${from.nn}'s reference solution, not from your code${result.backup ? ' (yours is in the backup)' : ''}`);
  const nextLab = listLabs(repo).find((other) => other.number > lab.number);
  say(
    variant === 'starter'
      ? `Next: read ${shown(repo, join(lab.dir, 'README.md'))}, edit workspace/, then npm run verify lab-${lab.nn}`
      : `Next: npm run verify lab-${lab.nn}${nextLab ? `, then npm run lab start ${nextLab.nn}` : ''}`,
  );
  return 0;
}

/** One line per file the carry touched or left for the learner. */
function carryLine({ path, result, conflicts }: CarryOutcome, lab: Lab): string {
  switch (result) {
    case 'updated': return `  ✓ ${path}: updated (you had not changed it)`;
    case 'merged': return `  ✓ ${path}: merged, your changes and the starter's`;
    case 'added': return `  ✓ ${path}: added by the starter`;
    case 'removed': return `  ✓ ${path}: removed (the starter deletes it and you had not changed it)`;
    case 'conflict': return `  ✗ ${path}: ${conflicts} conflict${conflicts === 1 ? '' : 's'} marked in the file`;
    case 'unmergeable': return `  ! ${path}: git cannot merge it (binary?), yours kept; npm run lab tree ${lab.nn} writes the starter's`;
    case 'kept-edited': return `  ! ${path}: kept, though the starter deletes it: you changed it`;
    case 'kept-deleted': return `  ! ${path}: left deleted, though the starter changes it`;
  }
}

/** Returns 1 when conflicts are left to resolve. */
function printCarry(repo: LabRepo, lab: Lab, title: string): number {
  const report = carryWorkspace(repo, lab);
  say(`Lab ${lab.nn} · ${title} — starter, merged into your lab ${report.from.nn} code`);
  say(`  ✓ backed up workspace/ to ${shown(repo, report.backup)}/`);
  for (const outcome of report.outcomes) say(carryLine(outcome, lab));
  if (report.outcomes.length === 0) say(`  ✓ nothing to merge: lab ${lab.nn}'s starter changes none of your files`);
  const conflicted = report.outcomes.filter((outcome) => outcome.result === 'conflict').map((outcome) => outcome.path);
  if (conflicted.length > 0) {
    say(`Next: resolve the conflict markers in ${conflicted.map((path) => `workspace/${path}`).join(', ')}, then npm run verify lab-${lab.nn}`);
    return 1;
  }
  say(`Next: read ${shown(repo, join(lab.dir, 'README.md'))}, edit workspace/, then npm run verify lab-${lab.nn}`);
  return 0;
}

export function cmdDebrief(repo: LabRepo, lab: Lab): void {
  const screen = debriefScreen(lab);
  const file = shown(repo, debriefFile(lab));
  if (!screen) {
    say(`Lab ${lab.nn} has no debrief yet (${file} is not written).`);
    return;
  }
  say(`Debrief of lab ${lab.nn}: ${file}`);
  if (!labPassed(repo, lab)) say(`  ! you have not passed npm run verify lab-${lab.nn} yet: the debrief gives the answers away`);
  say();
  for (const line of screen.lines) say(line);
  if (screen.more > 0) say(`… ${screen.more} more line${screen.more === 1 ? '' : 's'} in ${file}`);
}

export function cmdReport(repo: LabRepo, lab: Lab): void {
  const meta = loadLabMeta(repo, lab);
  const { path, created } = createReport(repo, lab, meta);
  const file = shown(repo, path);
  if (!created) say(`  ✓ ${file} already exists: left as it is`);
  else {
    const asks = reportCriteria(meta).map((criterion) => criterion.id);
    say(`  ✓ wrote ${file}${asks.length ? ` (for ${asks.join(', ')})` : ''}`);
  }
  say(`Next: fill in ${file}; reports/ is yours, and no lab command moves or deletes it`);
}

export function cmdDiff(repo: LabRepo, lab: Lab, options: { whitespace: boolean; stat: boolean; mine: boolean }): void {
  const { text, whitespaceOnly } = labDiff(repo, lab, { ...options, workspace: options.mine, color: process.stdout.isTTY === true });
  const what = options.mine ? `workspace/ and solution ${lab.nn}` : `starter ${lab.nn} and solution ${lab.nn}`;
  if (text.trim() === '') say(`No differences between ${what}${whitespaceOnly.length ? ' but whitespace' : ''}.`);
  else process.stdout.write(text);
  if (whitespaceOnly.length > 0) {
    say(`(${whitespaceOnly.length} file${whitespaceOnly.length === 1 ? '' : 's'} with whitespace-only changes left out: ${whitespaceOnly.join(', ')}; add -- --whitespace to see them)`);
  }
}

const WHY: Record<HintWhy, string> = { failing: 'still failing', 'not-verified': 'not verified yet', passed: 'passed at your last verify' };

export function cmdHint(repo: LabRepo, lab: Lab, ref?: string): void {
  const result = nextHint(repo, lab, ref);
  if (result.kind === 'all-passed') {
    say(`Every criterion of lab ${lab.nn} passed at the last verify: no hint needed.`);
    say(`Next: ${nextAfterGreen(repo, lab)}, or npm run lab diff ${lab.nn} -- --mine to compare your work with the solution`);
    return;
  }
  const { criterion } = result;
  const why = WHY[result.why];
  if (result.kind === 'exhausted') {
    say(result.hints.length === 1 ? `The only hint for ${criterion.id} (${why}) is revealed:` : `All ${result.hints.length} hints for ${criterion.id} (${why}) are revealed:`);
    result.hints.forEach((hint, index) => say(`  ${index + 1}. ${hint}`));
    say(`Next: npm run verify lab-${lab.nn}, or compare your work with the solution: npm run lab diff ${lab.nn} -- --mine`);
    return;
  }
  if (result.skipped.length > 0) {
    const ids = result.skipped.map((each) => each.id);
    say(`(every hint of ${ids.join(', ')} is revealed: npm run lab hint ${lab.nn} ${ids[0]} shows them again)`);
  }
  say(`${criterion.id} (${why}): ${criterion.text}`);
  say(`Hint ${result.number}/${result.total}: ${result.text}`);
  const again = `npm run lab hint ${lab.nn}${ref === undefined ? '' : ` ${criterion.id}`}`;
  say(result.number < result.total ? `Next: npm run verify lab-${lab.nn}, or ${again} for the next hint` : `Next: npm run verify lab-${lab.nn}`);
}

export function cmdLock(repo: LabRepo, labs: Lab[], force: boolean): void {
  for (const lab of labs) {
    const changes = lockLab(repo, lab, { force });
    const summary = changes.length === 0 ? 'unchanged' : changes.map((change) => `${change.change} ${change.variant}/${change.path}`).join(', ');
    say(`  ✓ ${shown(repo, join(lab.dir, 'lock.json'))}: ${summary}`);
  }
  say('Next: npm run lab check');
}

function printRebase(result: RebaseResult): void {
  const { lab, outcomes } = result;
  if (outcomes.length === 0) say(`  ✓ lab ${lab.nn}: every overlay is up to date`);
  for (const outcome of outcomes) {
    const text = {
      merged: `✓ ${outcome.file}: merged the upstream change`,
      conflict: `✗ ${outcome.file}: ${outcome.detail}`,
      'deletion-kept': `✓ ${outcome.file}: still deleted (upstream changed it)`,
      'deletion-dropped': `✓ ${outcome.file}: deletion dropped (upstream no longer has the file)`,
    }[outcome.result];
    say(`  ${text}`);
  }
  if (result.solutionPostponed) say(`  · the overlays built on the conflicted one (solution, cheats) of lab ${lab.nn} are not re-based yet: resolve the conflicts, then run it again`);
}

/** Returns the exit code: 1 when a conflict is left to resolve. */
export function cmdRebase(repo: LabRepo, labs: Lab[]): number {
  for (const lab of labs) {
    const result = rebaseLab(repo, lab);
    printRebase(result);
    if (result.outcomes.some((outcome) => outcome.result === 'conflict')) {
      say(`Next: resolve the conflicts above, then npm run lab rebase ${lab.nn} again (and npm run lab check)`);
      return 1;
    }
  }
  say('Next: npm run lab check, then review the merged files with git diff');
  return 0;
}

/** `cheat` materializes solution(N) with that cheat applied (what `npm test` proves fails). */
export function cmdTree(repo: LabRepo, lab: Lab, variant: Variant, out: string | undefined, cheat?: string): void {
  const name = cheat ? `cheat-${cheat}` : variant;
  const dir = out ? resolve(out) : join(treesDir(repo), `${lab.name}-${name}`);
  // Materializing replaces the folder: never point it at something that holds other work.
  if (out && existsSync(dir) && readdirSync(dir).length > 0) {
    throw new UserError(`${shown(repo, dir)} is not empty, and materializing would replace it`, 'pass --out with a new or empty folder');
  }
  const tree = cheat ? cheatTree(repo, lab, cheat) : labTree(repo, lab, variant);
  materialize(tree, dir);
  // Outside the repository the service would find no packages: lend it the repository's.
  if (relative(repo.root, dir).startsWith('..')) symlinkSync(join(repo.root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  say(`  ✓ wrote ${cheat ? `solution ${lab.nn} with the cheat for ${cheat}` : `${variant} ${lab.nn}`} (${tree.size} files) to ${shown(repo, dir)}/`);
  say(`Next: LAB_TREE=${dir} npx vitest run labs/${lab.name}/test${cheat ? ` -t '${cheat}'` : ''}`);
}

export function cmdBranches(repo: LabRepo): void {
  const results = buildBranches(repo);
  const width = Math.max(...results.map((result) => result.name.length));
  for (const result of results) say(`  ✓ ${result.name.padEnd(width)}  ${result.commit.slice(0, 12)}  ${result.status}`);
  say("Next: git push <remote> 'refs/heads/lab-*'");
  if (results.some((result) => result.status === 'updated')) {
    say('      (branches regenerated from a new HEAD are rewritten, not appended to: pushing over old ones needs --force)');
  }
}

export function cmdChecklist(repo: LabRepo): void {
  say(`  ✓ wrote ${shown(repo, writeChecklist(repo))}`);
  say('Next: git add CHECKLIST.md');
}

export function cmdSchema(repo: LabRepo): void {
  say(`  ✓ wrote ${shown(repo, writeSchemaFile(repo))}`);
  say('Next: npm run lab check');
}

export function cmdCheck(repo: LabRepo): number {
  let count = 0;
  for (const { rule, problems } of runChecks(repo)) {
    say(`  ${problems.length ? '✗' : '✓'} ${rule.title}`);
    for (const problem of problems) {
      count++;
      say(`      ${problem.message}`);
      if (problem.fix) say(`        fix: ${problem.fix}`);
    }
  }
  if (count === 0) {
    say('Everything looks fine!');
    return 0;
  }
  say(`${count} problem${count === 1 ? '' : 's'} found.`);
  say('Next: apply the fixes above, then npm run lab check');
  return 1;
}
