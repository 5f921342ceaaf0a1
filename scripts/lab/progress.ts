// .lab/progress.json: the learner's local progress — the criteria each lab passed at its
// last verify, and how many hints of each criterion were revealed. Git-ignored, per clone.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { listLabs, type Lab } from './catalog.ts';
import { UserError } from './errors.ts';
import { tryLoadLabMeta, type LabMeta } from './lab-meta.ts';
import { progressFile, shown, type LabRepo } from './paths.ts';

export const ProgressSchema = z
  .strictObject({
    formatVersion: z.literal(1).describe('Version of this file format.'),
    labs: z
      .record(
        z.string(),
        z.strictObject({
          verifiedAt: z.string().describe('ISO time of the last `npm run verify` of this lab against workspace/.'),
          criteria: z.record(z.string(), z.enum(['passed', 'failed'])).describe('Criterion id → result of that verify.'),
        }),
      )
      .describe('Lab folder name → its last verify.'),
    hints: z.record(z.string(), z.number().int().min(0)).describe('Criterion id → how many of its hints were revealed.'),
  })
  .describe('Local progress of the learner (.lab/progress.json).');

export type Progress = z.infer<typeof ProgressSchema>;
export type CriterionStatus = 'passed' | 'failed';

export function emptyProgress(): Progress {
  return { formatVersion: 1, labs: {}, hints: {} };
}

export function readProgress(repo: LabRepo): Progress {
  const path = progressFile(repo);
  if (!existsSync(path)) return emptyProgress();
  try {
    return ProgressSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    throw new UserError(
      `${shown(repo, path)} is damaged and cannot be read`,
      `delete it (it only holds local progress; npm run verify writes it again)`,
    );
  }
}

export function writeProgress(repo: LabRepo, progress: Progress): void {
  const path = progressFile(repo);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(progress, null, 2)}\n`);
}

export function recordVerify(progress: Progress, lab: Lab, criteria: Record<string, CriterionStatus>, now: Date): Progress {
  return { ...progress, labs: { ...progress.labs, [lab.name]: { verifiedAt: now.toISOString(), criteria } } };
}

export interface LabProgress {
  lab: Lab;
  verified: boolean;
  required: number;
  requiredPassed: number;
  bonus: number;
  bonusPassed: number;
}

/** Counts only the criteria lab.json has now, so renamed or removed ones do not linger. */
export function labProgress(lab: Lab, meta: LabMeta, progress: Progress): LabProgress {
  const last = progress.labs[lab.name];
  const passed = (level: 'required' | 'bonus') =>
    meta.criteria.filter((criterion) => criterion.level === level && last?.criteria[criterion.id] === 'passed').length;
  const count = (level: 'required' | 'bonus') => meta.criteria.filter((criterion) => criterion.level === level).length;
  return {
    lab,
    verified: last !== undefined,
    required: count('required'),
    requiredPassed: passed('required'),
    bonus: count('bonus'),
    bonusPassed: passed('bonus'),
  };
}

/** Every lab whose lab.json loads, in order, with the learner's progress. */
export function allLabProgress(repo: LabRepo): LabProgress[] {
  const progress = readProgress(repo);
  return listLabs(repo).flatMap((lab) => {
    const meta = tryLoadLabMeta(repo, lab);
    return meta ? [labProgress(lab, meta, progress)] : [];
  });
}

export function isComplete(entry: LabProgress): boolean {
  return entry.verified && entry.requiredPassed === entry.required;
}

/** Every required criterion of the lab passed at its last verify. */
export function labPassed(repo: LabRepo, lab: Lab): boolean {
  const meta = tryLoadLabMeta(repo, lab);
  return meta !== null && isComplete(labProgress(lab, meta, readProgress(repo)));
}

/** "3/5" (required criteria passed), "✓ 5/5" when complete, "–" when never verified. */
export function progressCell(entry: LabProgress): string {
  if (!entry.verified) return '–';
  const bonus = entry.bonusPassed > 0 ? ` +${entry.bonusPassed} bonus` : '';
  return `${isComplete(entry) ? '✓ ' : ''}${entry.requiredPassed}/${entry.required}${bonus}`;
}

/** One line over all labs: "Progress: 2 of 13 labs done, 14/63 required criteria · 01 ✓ · 02 3/4 · 03 –". */
export function progressLine(entries: LabProgress[]): string {
  const done = entries.filter(isComplete).length;
  const passed = entries.reduce((sum, entry) => sum + entry.requiredPassed, 0);
  const total = entries.reduce((sum, entry) => sum + entry.required, 0);
  const cells = entries.map((entry) => `${entry.lab.nn} ${isComplete(entry) ? '✓' : entry.verified ? `${entry.requiredPassed}/${entry.required}` : '–'}`);
  return `Progress: ${done} of ${entries.length} labs done, ${passed}/${total} required criteria · ${cells.join(' · ')}`;
}
