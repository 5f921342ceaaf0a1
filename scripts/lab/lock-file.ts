// labs/NN-slug/lock.json: for each overlay file, the git blob id of the file it replaces in
// the tree it is applied on (null for a new file), and the deletions. Written by
// `npm run lab lock` and `npm run lab rebase`; people only add deletions by hand.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Lab } from './catalog.ts';
import { UserError } from './errors.ts';
import { shown, type LabRepo } from './paths.ts';

const BLOB_ID = /^[0-9a-f]{40}$/;

export const LockEntrySchema = z
  .strictObject({
    base: z
      .string()
      .regex(BLOB_ID, 'must be a 40-digit git blob id')
      .nullable()
      .describe('Git blob id of the file this overlay file replaces (or deletes) in the tree it is applied on; null when the file is new.'),
    delete: z.literal(true).optional().describe('The overlay deletes this path; such an entry has no file in the overlay.'),
  })
  .describe('Lock of one tree-relative path of an overlay.');

const OverlayLockSchema = z
  .record(z.string().min(1), LockEntrySchema)
  .describe('Tree-relative path (forward slashes) → its lock.');

export const LockFileSchema = z
  .strictObject({
    formatVersion: z.literal(1).describe('Version of this file format.'),
    starter: OverlayLockSchema.describe('Locks of starter/, applied on the previous lab\'s solution (the baseline for lab 01).'),
    solution: OverlayLockSchema.describe('Locks of solution/, applied on this lab\'s starter.'),
    cheats: z
      .record(z.string().min(1), OverlayLockSchema)
      .optional()
      .describe('Criterion id → locks of cheats/<id>/, each applied on this lab\'s solution.'),
  })
  .describe('Locks of one lab\'s overlays (labs/NN-slug/lock.json), maintained by `npm run lab lock` and `npm run lab rebase`.');

export type LockEntry = z.infer<typeof LockEntrySchema>;
export type LockFile = z.infer<typeof LockFileSchema>;
export type OverlayLock = Record<string, LockEntry>;

/**
 * Which overlay of a lab: its starter, its solution, or one of its cheats (`cheats/<name>`,
 * where the name is the criterion id, or `<criterion id>+<what>` when a criterion has several).
 */
export type Slot = 'starter' | 'solution' | `cheats/${string}`;

export const cheatSlot = (name: string): Slot => `cheats/${name}`;
/** The cheat's folder name, or null for the starter and the solution. */
export const cheatIdOf = (slot: Slot): string | null => (slot.startsWith('cheats/') ? slot.slice('cheats/'.length) : null);
/** The criterion a cheat fakes: its name up to a `+`. */
export const cheatCriterion = (name: string): string => name.split('+')[0]!;

/** The entries of one overlay; a cheat without entries yet gets an empty record in `lock`. */
export function slotLock(lock: LockFile, slot: Slot): OverlayLock {
  const id = cheatIdOf(slot);
  if (id === null) return lock[slot as 'starter' | 'solution'];
  lock.cheats ??= {};
  return (lock.cheats[id] ??= {});
}

export function lockFilePath(lab: Lab): string {
  return join(lab.dir, 'lock.json');
}

export function emptyLock(): LockFile {
  return { formatVersion: 1, starter: {}, solution: {} };
}

/** A missing lock.json reads as empty: `lab check` reports the overlay files it then lacks. */
export function readLockFile(repo: LabRepo, lab: Lab): LockFile {
  const path = lockFilePath(lab);
  if (!existsSync(path)) return emptyLock();
  const file = shown(repo, path);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UserError(`${file} is not valid JSON: ${(error as Error).message}`, `fix it by hand, or delete it and run npm run lab lock ${lab.nn}`);
  }
  const parsed = LockFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`${file}: ${issue.path.map(String).join('.') || '(top level)'}: ${issue.message}`, `fix it, then run npm run lab lock ${lab.nn}`);
  }
  return parsed.data;
}

/** Sorted keys and a trailing newline, so re-locking an unchanged lab changes no byte. */
export function writeLockFile(lab: Lab, lock: LockFile): void {
  const sorted = (overlay: OverlayLock) =>
    Object.fromEntries(
      Object.keys(overlay)
        .sort()
        .map((path) => {
          const entry = overlay[path]!;
          return [path, entry.delete ? { base: entry.base, delete: true } : { base: entry.base }];
        }),
    );
  const cheats = Object.keys(lock.cheats ?? {})
    .filter((id) => Object.keys(lock.cheats![id]!).length > 0)
    .sort()
    .map((id) => [id, sorted(lock.cheats![id]!)] as const);
  const out = {
    formatVersion: 1,
    starter: sorted(lock.starter),
    solution: sorted(lock.solution),
    ...(cheats.length ? { cheats: Object.fromEntries(cheats) } : {}),
  };
  writeFileSync(lockFilePath(lab), `${JSON.stringify(out, null, 2)}\n`);
}

