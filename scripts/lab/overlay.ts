// An overlay is a lab's starter/ or solution/ folder, or one of its cheats/<criterion id>/
// folders: whole files at tree-relative paths, plus the deletions and locks recorded in
// lock.json. Every overlay file needs a lock entry, so a file dropped in by mistake is caught
// instead of silently shipped.
import { join } from 'node:path';
import type { Lab } from './catalog.ts';
import { UserError } from './errors.ts';
import { listLabFiles } from './files.ts';
import { lockFilePath, readLockFile, slotLock, type LockFile, type OverlayLock, type Slot } from './lock-file.ts';
import { isNeverInTree, shown, type LabRepo } from './paths.ts';

export interface Overlay {
  lab: Lab;
  /** starter, solution, or cheats/<criterion id> (a cheat is applied on the solution). */
  variant: Slot;
  /** Absolute path of labs/NN-slug/<variant>. */
  dir: string;
  /** Tree-relative paths of the files in the overlay folder, sorted. */
  files: string[];
  /** The overlay's entries of lock.json. */
  lock: OverlayLock;
}

export interface Problem {
  message: string;
  fix: string;
}

export function overlayDir(lab: Lab, variant: Slot): string {
  return join(lab.dir, variant);
}

export function readOverlay(repo: LabRepo, lab: Lab, variant: Slot, lock: LockFile = readLockFile(repo, lab)): Overlay {
  const dir = overlayDir(lab, variant);
  return { lab, variant, dir, files: listLabFiles(repo, dir), lock: slotLock(lock, variant) };
}

/** Paths the overlay deletes. */
export function deletions(overlay: Overlay): string[] {
  return Object.keys(overlay.lock).filter((path) => overlay.lock[path]!.delete);
}

/** Stray files, deletions that still have a file, entries whose file is gone, bad paths. */
export function overlayProblems(repo: LabRepo, overlay: Overlay): Problem[] {
  const { lab, variant } = overlay;
  const lockFile = shown(repo, lockFilePath(lab));
  const shownFile = (path: string) => shown(repo, join(overlay.dir, path));
  const fix = `npm run lab lock ${lab.nn}`;
  const problems: Problem[] = [];
  const files = new Set(overlay.files);
  for (const path of overlay.files) {
    const entry = overlay.lock[path];
    if (!entry) {
      problems.push({ message: `${shownFile(path)} has no entry in ${lockFile}`, fix });
    } else if (entry.delete) {
      problems.push({
        message: `${lockFile} deletes ${variant} ${path}, but ${shownFile(path)} exists`,
        fix: `remove the file or the deletion, then run ${fix}`,
      });
    }
  }
  for (const [path, entry] of Object.entries(overlay.lock)) {
    if (path.startsWith('/') || path.split('/').some((part) => part === '..' || part === '.' || part === '') || isNeverInTree(path)) {
      problems.push({ message: `${lockFile} has an invalid ${variant} path "${path}"`, fix: 'use a tree-relative path with forward slashes' });
    } else if (!entry.delete && !files.has(path)) {
      problems.push({ message: `${lockFile} locks ${variant} ${path}, but ${shownFile(path)} does not exist`, fix });
    }
  }
  return problems;
}

/** Materializing needs a well-formed overlay; stale locks are fine (they are `lab check`'s job). */
export function assertOverlayClean(repo: LabRepo, overlay: Overlay): void {
  const problems = overlayProblems(repo, overlay);
  if (problems.length === 0) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  throw new UserError(`${problems[0]!.message}${more}`, problems[0]!.fix);
}
