// `npm run lab start N+1 -- --carry`: lab N+1's starter merged into the learner's own lab N
// code instead of replacing it. Each file is merged three ways: base = solution(N),
// ours = workspace/, theirs = starter(N+1), so only what the starter changes reaches the code.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileBlobId } from './blob.ts';
import type { Lab } from './catalog.ts';
import { UserError } from './errors.ts';
import { hasConflictMarkers, mergeFile } from './merge-file.ts';
import { previousLab } from './move-on.ts';
import { shown, workspaceDir, type LabRepo } from './paths.ts';
import { blobAt, labTree, type Tree } from './tree.ts';
import { backupWorkspace, readWorkspaceState, workspaceFiles, writeWorkspaceState } from './workspace.ts';

export type CarryResult =
  | 'updated' // you had not changed it: the starter's version replaced it
  | 'merged' // both changed it: merged cleanly
  | 'conflict' // both changed the same lines: marked in the file
  | 'unmergeable' // git cannot merge it (binary): yours kept
  | 'added' // the starter adds it
  | 'removed' // the starter deletes it and you had not changed it
  | 'kept-edited' // the starter deletes it but you changed it: kept
  | 'kept-deleted'; // you deleted it and the starter changes it: left deleted

export interface CarryOutcome {
  path: string;
  result: CarryResult;
  /** For 'conflict': how many. */
  conflicts?: number;
}

export interface CarryReport {
  lab: Lab;
  from: Lab;
  backup: string;
  outcomes: CarryOutcome[];
}

/** What the starter's change to one file does to the learner's copy, or null when it leaves it as it is. */
function planFile(path: string, base: Tree, theirs: Tree, oursId: string | null): CarryResult | 'merge' | null {
  const baseId = blobAt(base, path);
  const theirsId = blobAt(theirs, path);
  if (baseId === theirsId || oursId === theirsId) return null;
  if (theirsId === null) return oursId === baseId ? 'removed' : 'kept-edited';
  if (oursId === null) return baseId === null ? 'added' : 'kept-deleted';
  // A file both added (no base) merges against an empty one: differing lines conflict.
  return oursId === baseId ? 'updated' : 'merge';
}

function assertCarriable(repo: LabRepo, lab: Lab): Lab {
  const from = previousLab(repo, lab);
  if (!from) throw new UserError(`lab ${lab.nn} is the first lab: there is no earlier lab's code to carry into it`, `npm run lab start ${lab.nn}`);
  const state = readWorkspaceState(repo);
  if (state?.lab !== from.name) {
    const holds = state ? `lab ${state.lab} ${state.variant}` : 'files the lab tools did not write';
    throw new UserError(
      `--carry merges lab ${lab.nn}'s starter into your lab ${from.nn} code, but workspace/ holds ${holds}`,
      `npm run lab start ${lab.nn} -- --force (starts from lab ${from.nn}'s solution, after a backup of workspace/)`,
    );
  }
  return from;
}

export function carryWorkspace(repo: LabRepo, lab: Lab, now = new Date()): CarryReport {
  const from = assertCarriable(repo, lab);
  // Build both trees first: a broken lab must fail before workspace/ is touched.
  const base = labTree(repo, from, 'solution');
  const theirs = labTree(repo, lab, 'starter');
  const dir = workspaceDir(repo);
  const ours = new Set(workspaceFiles(repo));
  const paths = [...new Set([...base.keys(), ...theirs.keys()])].sort();
  const plan = paths.flatMap((path) => {
    const step = planFile(path, base, theirs, ours.has(path) ? fileBlobId(join(dir, path)) : null);
    return step ? [{ path, step }] : [];
  });
  for (const { path, step } of plan) {
    if (step === 'merge' && hasConflictMarkers(readFileSync(join(dir, path), 'latin1'))) {
      throw new UserError(`${shown(repo, join(dir, path))} still has conflict markers`, `resolve them, then npm run lab start ${lab.nn} -- --carry again`);
    }
  }

  const backup = backupWorkspace(repo, now);
  const outcomes: CarryOutcome[] = [];
  for (const { path, step } of plan) {
    const target = join(dir, path);
    if (step === 'updated' || step === 'added') {
      const file = theirs.get(path)!;
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(file.source, target);
      chmodSync(target, file.executable ? 0o755 : 0o644);
    } else if (step === 'removed') rmSync(target);
    if (step !== 'merge') {
      outcomes.push({ path, result: step });
      continue;
    }
    const baseFile = base.get(path);
    const conflicts = mergeFile(target, baseFile ? readFileSync(baseFile.source) : Buffer.alloc(0), readFileSync(theirs.get(path)!.source), {
      ours: `your code (workspace/${path})`,
      base: `lab ${from.nn} solution`,
      theirs: `lab ${lab.nn} starter`,
    });
    outcomes.push(conflicts === 0 ? { path, result: 'merged' } : conflicts > 0 ? { path, result: 'conflict', conflicts } : { path, result: 'unmergeable' });
  }
  // Recorded as the starter, so the learner's carried changes count as edits from now on.
  writeWorkspaceState(repo, lab, 'starter', theirs, now);
  return { lab, from, backup, outcomes };
}
