// The labs are the folders labs/NN-slug (NN from 01). Their number, slug and paths are worked
// out from the folder name, never stored in lab.json, so renaming a folder is the only move.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from './errors.ts';
import type { LabRepo } from './paths.ts';
import { plannedLabs } from './planned.ts';

export const LAB_FOLDER = /^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$/;

export interface Lab {
  /** 7 */
  number: number;
  /** "07" — how ids, branches and commands spell it. */
  nn: string;
  /** "metrics-health" */
  slug: string;
  /** "07-metrics-health" — the folder name, and the lab's key in local state. */
  name: string;
  /** Absolute path of labs/07-metrics-health. */
  dir: string;
}

export type Variant = 'starter' | 'solution';
export const VARIANTS: readonly Variant[] = ['starter', 'solution'];

/** Labs in order. Folders that do not match NN-slug are left to `lab check` to report. */
export function listLabs(repo: LabRepo): Lab[] {
  if (!existsSync(repo.labsDir)) return [];
  return readdirSync(repo.labsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => {
      const match = LAB_FOLDER.exec(entry.name);
      if (!match || match[1] === '00') return [];
      const number = Number(match[1]);
      return [{ number, nn: match[1]!, slug: match[2]!, name: entry.name, dir: join(repo.labsDir, entry.name) }];
    })
    .sort((a, b) => a.number - b.number || a.name.localeCompare(b.name));
}

/**
 * Accepts what a person types: "7", "07", "lab-07", "lab7", "07-metrics-health",
 * "lab-07-metrics-health" or the slug "metrics-health".
 */
export function resolveLab(repo: LabRepo, ref: string | undefined): Lab {
  const labs = listLabs(repo);
  if (ref === undefined || ref.trim() === '') {
    throw new UserError(`which lab? ${labListing(labs)}`);
  }
  const wanted = ref.trim().toLowerCase().replace(/^lab-?/, '');
  const numeric = /^(\d{1,2})(?:-.*)?$/.exec(wanted);
  const found = labs.filter((lab) =>
    numeric ? lab.number === Number(numeric[1]) && (wanted === numeric[1] || wanted === lab.name) : lab.slug === wanted,
  );
  if (found.length === 1) return found[0]!;
  if (found.length > 1) {
    throw new UserError(`lab ${ref} is ambiguous: ${found.map((lab) => lab.name).join(', ')}`, 'run npm run lab check');
  }
  const planned = plannedLabs(labs).find((lab) => (numeric ? lab.number === Number(numeric[1]) : lab.slug === wanted));
  if (planned) throw new UserError(`lab ${planned.nn} · ${planned.title} is not written yet; ${labListing(labs)}`);
  throw new UserError(`unknown lab "${ref}"; ${labListing(labs)}`);
}

function labListing(labs: Lab[]): string {
  return labs.length === 0 ? 'there are no labs under labs/ yet' : `valid labs: ${labs.map((lab) => lab.name).join(', ')}`;
}

/** Labs up to and including `lab`, in order (what --cumulative runs). */
export function labsUpTo(repo: LabRepo, lab: Lab): Lab[] {
  return listLabs(repo).filter((other) => other.number <= lab.number);
}
