// Cheats: overlays on a lab's solution that fake one criterion the cheapest plausible way
// (labs/NN-slug/cheats/<criterion id>/, or <criterion id>+<what>/ for a second way). `npm test`
// proves each one makes its criterion fail; they never reach workspace/ or a workshop branch.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from './catalog.ts';
import { UserError } from './errors.ts';
import { cheatCriterion, cheatSlot, readLockFile, type LockFile } from './lock-file.ts';
import { readOverlay, type Overlay } from './overlay.ts';
import { shown, type LabRepo } from './paths.ts';

export const CHEATS_FOLDER = 'cheats';
/** The line each cheat carries near the top of one of its files: what it fakes. */
const CHEAT_LINE = /^\s*(?:\/\/|#|\/\*+|\*)\s*Cheat:\s*(.+?)\s*(?:\*\/)?\s*$/m;
const HEAD_LINES = 5;

export const cheatsDir = (lab: Lab) => join(lab.dir, CHEATS_FOLDER);

/** Names of the cheats that have a folder or locks, sorted. */
export function cheatIds(lab: Lab, lock: LockFile): string[] {
  const dir = cheatsDir(lab);
  const folders = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name) : [];
  return [...new Set([...folders, ...Object.keys(lock.cheats ?? {})])].sort();
}

export function readCheats(repo: LabRepo, lab: Lab, lock: LockFile = readLockFile(repo, lab)): Overlay[] {
  return cheatIds(lab, lock).map((id) => readOverlay(repo, lab, cheatSlot(id), lock));
}

/** One cheat by its name, or every cheat of a criterion by the criterion's id. */
export function readCheatsNamed(repo: LabRepo, lab: Lab, name: string): Overlay[] {
  const lock = readLockFile(repo, lab);
  const known = cheatIds(lab, lock);
  const names = known.includes(name) ? [name] : known.filter((each) => cheatCriterion(each) === name);
  if (names.length === 0) {
    throw new UserError(
      `lab ${lab.nn} has no cheat for ${name}`,
      known.length ? `its cheats are ${known.join(', ')}` : `add one under ${shown(repo, cheatsDir(lab))}/${name}/`,
    );
  }
  return names.map((each) => readOverlay(repo, lab, cheatSlot(each), lock));
}

/** What the cheat fakes: the `Cheat: …` comment in the first lines of one of its files, or null. */
export function cheatDescription(overlay: Overlay): string | null {
  for (const path of overlay.files) {
    const head = readFileSync(join(overlay.dir, path), 'utf8').split('\n').slice(0, HEAD_LINES).join('\n');
    const match = CHEAT_LINE.exec(head);
    if (match) return match[1]!;
  }
  return null;
}
