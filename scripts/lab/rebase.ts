// Carries upstream changes into lab N's stale overlay files with a three-way merge:
// base = the file the overlay was made against (read back from git by its blob id),
// ours = the overlay file, theirs = the file upstream has now. Conflicts are written into the
// overlay file with markers and reported; nothing is dropped silently.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readGitBlob, shortId } from './blob.ts';
import { cheatIds } from './cheats.ts';
import { listLabs, VARIANTS, type Lab } from './catalog.ts';
import { UserError } from './errors.ts';
import { cheatSlot, readLockFile, slotLock, writeLockFile, type Slot } from './lock-file.ts';
import { hasConflictMarkers, mergeFile } from './merge-file.ts';
import { assertOverlayClean, readOverlay } from './overlay.ts';
import { shown, type LabRepo } from './paths.ts';
import { blobAt, labTree, upstreamTree } from './tree.ts';

export interface RebaseOutcome {
  variant: Slot;
  path: string;
  /** labs/NN-slug/<variant>/<path> */
  file: string;
  result: 'merged' | 'conflict' | 'deletion-kept' | 'deletion-dropped';
  /** For conflicts: what happened and what to do. */
  detail?: string;
}

export interface RebaseResult {
  lab: Lab;
  outcomes: RebaseOutcome[];
  /** True when an overlay had conflicts, so the ones built on it (solution, cheats) were left for the next run. */
  solutionPostponed: boolean;
}

function upstreamName(lab: Lab, variant: Slot, labs: Lab[]): string {
  if (variant === 'solution') return `starter ${lab.nn}`;
  if (variant !== 'starter') return `solution ${lab.nn}`;
  const previous = labs[labs.findIndex((other) => other.name === lab.name) - 1];
  return previous ? `solution ${previous.nn}` : 'baseline';
}

export function rebaseLab(repo: LabRepo, lab: Lab): RebaseResult {
  const labs = listLabs(repo);
  const outcomes: RebaseOutcome[] = [];
  // Cheats come last: they merge against the re-based solution.
  const slots: Slot[] = [...VARIANTS, ...cheatIds(lab, readLockFile(repo, lab)).map(cheatSlot)];
  for (const variant of slots) {
    // Recomputed per overlay: the solution merges against the re-based starter, cheats against the solution.
    const before = variant === 'starter' || variant === 'solution' ? upstreamTree(repo, lab, variant, false) : labTree(repo, lab, 'solution', false);
    const lock = readLockFile(repo, lab);
    const overlay = readOverlay(repo, lab, variant, lock);
    assertOverlayClean(repo, overlay);
    const stale = Object.entries(overlay.lock)
      .map(([path, entry]) => ({ path, entry, upstream: blobAt(before, path), file: shown(repo, join(overlay.dir, path)) }))
      .filter(({ entry, upstream }) => entry.base !== upstream);

    // Read every base first: a missing one stops the run before any file is touched.
    const bases = new Map<string, Buffer>();
    for (const { path, entry, upstream, file } of stale) {
      if (entry.delete || upstream === null) continue;
      bases.set(path, entry.base === null ? Buffer.alloc(0) : readGitBlob(repo.root, entry.base, file));
      const ours = readFileSync(join(overlay.dir, path), 'utf8');
      if (hasConflictMarkers(ours)) {
        throw new UserError(`${file} still has conflict markers`, `resolve them, then run npm run lab rebase ${lab.nn} again`);
      }
    }

    for (const { path, entry, upstream, file } of stale) {
      if (entry.delete) {
        // A deletion stays a deletion whatever upstream did to the file; only its base moves.
        if (upstream === null) delete slotLock(lock, variant)[path];
        else slotLock(lock, variant)[path] = { base: upstream, delete: true };
        outcomes.push({ variant, path, file, result: upstream === null ? 'deletion-dropped' : 'deletion-kept' });
        continue;
      }
      if (upstream === null) {
        outcomes.push({
          variant, path, file, result: 'conflict',
          detail: `upstream deleted this file; delete it too (and its lock entry), or keep it as a new file with npm run lab lock ${lab.nn} -- --force`,
        });
        continue;
      }
      const conflicts = mergeFile(join(overlay.dir, path), bases.get(path)!, readFileSync(before.get(path)!.source), {
        ours: file,
        base: `base ${shortId(entry.base)}`,
        theirs: `upstream (${upstreamName(lab, variant, labs)})`,
      });
      // The base moves on in both cases: a conflicted file already holds both sides between
      // markers, and `lab check` reports the markers until someone resolves them.
      slotLock(lock, variant)[path] = { base: upstream };
      if (conflicts === 0) outcomes.push({ variant, path, file, result: 'merged' });
      else {
        outcomes.push({
          variant, path, file, result: 'conflict',
          detail: conflicts > 0 ? `${conflicts} conflict${conflicts > 1 ? 's' : ''} marked in the file` : 'git could not merge it (binary file?); merge it by hand',
        });
      }
    }
    writeLockFile(lab, lock);
    if (variant !== slots.at(-1) && outcomes.some((outcome) => outcome.result === 'conflict')) {
      return { lab, outcomes, solutionPostponed: true };
    }
  }
  return { lab, outcomes, solutionPostponed: false };
}
