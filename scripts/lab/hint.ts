// `npm run lab hint N`: reveals the next hint of the first criterion still failing at the last
// verify (of the first criterion when the lab was never verified), one per call, so a learner
// gets a nudge before the answer.
import type { Lab } from './catalog.ts';
import { loadLabMeta, type Criterion } from './lab-meta.ts';
import { readProgress, writeProgress } from './progress.ts';
import type { LabRepo } from './paths.ts';

export type HintResult =
  | { kind: 'hint'; criterion: Criterion; number: number; total: number; text: string; why: 'failing' | 'not-verified' }
  | { kind: 'exhausted'; criterion: Criterion; hints: string[]; why: 'failing' | 'not-verified' }
  | { kind: 'all-passed' };

export function nextHint(repo: LabRepo, lab: Lab): HintResult {
  const meta = loadLabMeta(repo, lab);
  const progress = readProgress(repo);
  const last = progress.labs[lab.name];
  let criterion: Criterion | undefined;
  if (!last) criterion = meta.criteria[0];
  else {
    // A criterion added since the last verify has no result: it counts as not passed.
    const open = meta.criteria.filter((candidate) => last.criteria[candidate.id] !== 'passed');
    criterion = open.find((candidate) => candidate.level === 'required') ?? open[0];
  }
  if (!criterion) return { kind: 'all-passed' };
  const why = last ? 'failing' : 'not-verified';
  const shown = progress.hints[criterion.id] ?? 0;
  if (shown >= criterion.hints.length) return { kind: 'exhausted', criterion, hints: criterion.hints, why };
  writeProgress(repo, { ...progress, hints: { ...progress.hints, [criterion.id]: shown + 1 } });
  return { kind: 'hint', criterion, number: shown + 1, total: criterion.hints.length, text: criterion.hints[shown]!, why };
}
