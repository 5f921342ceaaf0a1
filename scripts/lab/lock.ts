// Lock checks and lock recording. An overlay file is fresh when the file it replaces in the
// tree it is applied on still has the blob id recorded as its base; otherwise an earlier lab
// changed that file and the overlay must be re-based, or the change is silently lost.
import { join } from 'node:path';
import { shortId, type BlobId } from './blob.ts';
import { type Lab } from './catalog.ts';
import { UserError } from './errors.ts';
import { readLockFile, slotLock, writeLockFile, type LockFile, type OverlayLock, type Slot } from './lock-file.ts';
import { overlayProblems, type Problem } from './overlay.ts';
import { shown, type LabRepo } from './paths.ts';
import { blobAt, walkOverlays, type Tree } from './tree.ts';

export interface StaleLock {
  lab: Lab;
  variant: Slot;
  path: string;
  /** labs/NN-slug/<variant>/<path>, as shown to people. */
  file: string;
  base: BlobId | null;
  upstream: BlobId | null;
  delete: boolean;
}

function staleEntries(repo: LabRepo, lab: Lab, variant: Slot, lock: OverlayLock, before: Tree): StaleLock[] {
  const stale: StaleLock[] = [];
  for (const [path, entry] of Object.entries(lock)) {
    const upstream = blobAt(before, path);
    if (upstream === entry.base) continue;
    const file = shown(repo, join(lab.dir, variant, path));
    stale.push({ lab, variant, path, file, base: entry.base, upstream, delete: entry.delete === true });
  }
  return stale.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Every stale lock of every lab (or of the labs `only` accepts), in chain order. */
export function findStaleLocks(repo: LabRepo, only: (lab: Lab) => boolean = () => true): StaleLock[] {
  const stale: StaleLock[] = [];
  for (const step of walkOverlays(repo, { strict: false })) {
    if (only(step.lab)) stale.push(...staleEntries(repo, step.lab, step.variant, step.overlay.lock, step.before));
  }
  return stale;
}

export function describeStale(stale: StaleLock): string {
  const what = stale.delete ? `${stale.file} (deletion)` : stale.file;
  return `${what} was made against ${shortId(stale.base)}, upstream is now ${shortId(stale.upstream)}`;
}

export function staleProblem(stale: StaleLock): Problem {
  return { message: describeStale(stale), fix: `npm run lab rebase ${stale.lab.nn}` };
}

/** The lock rule of `lab check` and CI: well-formed overlays, and every lock fresh. */
export function checkLocks(repo: LabRepo): Problem[] {
  const problems: Problem[] = [];
  for (const step of walkOverlays(repo, { strict: false })) {
    problems.push(...overlayProblems(repo, step.overlay));
    problems.push(...staleEntries(repo, step.lab, step.variant, step.overlay.lock, step.before).map(staleProblem));
  }
  return problems;
}

export interface LockChange {
  variant: Slot;
  path: string;
  change: 'added' | 'removed' | 'updated';
}

/**
 * Records lab N's locks after an author edited its overlays: new files get the base they
 * replace now, entries of removed files go, hand-written deletions get their base. A stale
 * base is only overwritten with `force` — overwriting it would drop the upstream change, which
 * `npm run lab rebase` carries forward instead.
 */
export function lockLab(repo: LabRepo, lab: Lab, options: { force?: boolean } = {}): LockChange[] {
  const old = readLockFile(repo, lab);
  const next: LockFile = { formatVersion: 1, starter: {}, solution: {} };
  const changes: LockChange[] = [];
  const stale: StaleLock[] = [];
  for (const step of walkOverlays(repo, { strict: false, until: { lab, variant: 'solution' } })) {
    if (step.lab.name !== lab.name) continue;
    const { variant, overlay, before } = step;
    const recorded = slotLock(old, variant);
    const recording = slotLock(next, variant);
    const files = new Set(overlay.files);
    for (const path of overlay.files) {
      const entry = recorded[path];
      if (entry?.delete) {
        throw new UserError(
          `${shown(repo, join(overlay.dir, path))} exists, but lock.json deletes ${variant} ${path}`,
          `remove the file or the deletion, then run npm run lab lock ${lab.nn}`,
        );
      }
      const upstream = blobAt(before, path);
      if (!entry) changes.push({ variant, path, change: 'added' });
      else if (entry.base !== upstream) {
        stale.push(...staleEntries(repo, lab, variant, { [path]: entry }, before));
        changes.push({ variant, path, change: 'updated' });
      }
      recording[path] = { base: upstream };
    }
    for (const [path, entry] of Object.entries(recorded)) {
      if (!entry.delete) {
        if (!files.has(path)) changes.push({ variant, path, change: 'removed' });
        continue;
      }
      const upstream = blobAt(before, path);
      if (upstream === null) {
        throw new UserError(
          `${shown(repo, join(lab.dir, 'lock.json'))} deletes ${variant} ${path}, but the tree it applies to has no such file`,
          `remove that entry, then run npm run lab lock ${lab.nn}`,
        );
      }
      if (entry.base === null) changes.push({ variant, path, change: 'added' });
      else if (entry.base !== upstream) {
        stale.push(...staleEntries(repo, lab, variant, { [path]: entry }, before));
        changes.push({ variant, path, change: 'updated' });
      }
      recording[path] = { base: upstream, delete: true };
    }
  }
  if (stale.length > 0 && !options.force) {
    throw new UserError(
      `lab ${lab.nn} has stale locks: ${stale.map(describeStale).join('; ')}`,
      `npm run lab rebase ${lab.nn} merges the upstream change; if the overlay already includes it, npm run lab lock ${lab.nn} -- --force`,
    );
  }
  writeLockFile(lab, next);
  return changes;
}
