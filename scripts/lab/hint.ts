// `npm run lab hint N [criterion]`: reveals the next hint of one criterion, one per call, so a
// learner gets a nudge before the answer. Without a criterion: the first one still failing at
// the last verify (the first one when the lab was never verified) whose hints are not all
// revealed yet, required criteria before bonus ones.
import type { Lab } from './catalog.ts';
import { UserError } from './errors.ts';
import { loadLabMeta, type Criterion, type LabMeta } from './lab-meta.ts';
import { readProgress, writeProgress } from './progress.ts';
import type { LabRepo } from './paths.ts';

export type HintWhy = 'failing' | 'not-verified' | 'passed';

export type HintResult =
  | { kind: 'hint'; criterion: Criterion; number: number; total: number; text: string; why: HintWhy; skipped: Criterion[] }
  | { kind: 'exhausted'; criterion: Criterion; hints: string[]; why: HintWhy }
  | { kind: 'all-passed' };

/** Accepts the full id ("04.drain") or the part after the dot ("drain"). */
export function findCriterion(meta: LabMeta, lab: Lab, ref: string): Criterion {
  const wanted = ref.trim().toLowerCase();
  const found = meta.criteria.find((criterion) => criterion.id === wanted || criterion.id === `${lab.nn}.${wanted}`);
  if (found) return found;
  throw new UserError(
    `lab ${lab.nn} has no criterion "${ref}"; its criteria: ${meta.criteria.map((criterion) => criterion.id).join(', ')}`,
    `npm run lab hint ${lab.nn} ${meta.criteria[0]!.id}`,
  );
}

export function nextHint(repo: LabRepo, lab: Lab, ref?: string): HintResult {
  const meta = loadLabMeta(repo, lab);
  const progress = readProgress(repo);
  const last = progress.labs[lab.name];
  // A criterion added since the last verify has no result: it counts as not passed.
  const why = (criterion: Criterion): HintWhy => (!last ? 'not-verified' : last.criteria[criterion.id] === 'passed' ? 'passed' : 'failing');
  const revealed = (criterion: Criterion) => progress.hints[criterion.id] ?? 0;
  let criterion: Criterion;
  let skipped: Criterion[] = [];
  if (ref !== undefined) criterion = findCriterion(meta, lab, ref);
  else {
    const ordered = [...meta.criteria.filter((each) => each.level === 'required'), ...meta.criteria.filter((each) => each.level === 'bonus')];
    const open = ordered.filter((each) => why(each) !== 'passed');
    if (open.length === 0) return { kind: 'all-passed' };
    // Used-up hints must not block the other criteria: move on to the first with hints left.
    const index = open.findIndex((each) => revealed(each) < each.hints.length);
    criterion = open[Math.max(index, 0)]!;
    if (index > 0) skipped = open.slice(0, index);
  }
  const shown = revealed(criterion);
  if (shown >= criterion.hints.length) return { kind: 'exhausted', criterion, hints: criterion.hints, why: why(criterion) };
  writeProgress(repo, { ...progress, hints: { ...progress.hints, [criterion.id]: shown + 1 } });
  return { kind: 'hint', criterion, number: shown + 1, total: criterion.hints.length, text: criterion.hints[shown]!, why: why(criterion), skipped };
}
