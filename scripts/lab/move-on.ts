// Going from lab N to lab N+1: whether workspace/ holds lab N and lab N is green (then its
// edits may be replaced, after the backup), and the step to print once it is green.
import { existsSync } from 'node:fs';
import { listLabs, type Lab } from './catalog.ts';
import { debriefFile } from './debrief.ts';
import type { LabRepo } from './paths.ts';
import { plannedLabs } from './planned.ts';
import { labPassed } from './progress.ts';
import { readWorkspaceState, type MovingOn } from './workspace.ts';

export function previousLab(repo: LabRepo, lab: Lab): Lab | undefined {
  return listLabs(repo).filter((other) => other.number < lab.number).at(-1);
}

/** Set when workspace/ holds (either variant of) the lab right before `lab`. */
export function movingOn(repo: LabRepo, lab: Lab): MovingOn | null {
  const from = previousLab(repo, lab);
  if (!from || readWorkspaceState(repo)?.lab !== from.name) return null;
  return { from, passed: labPassed(repo, from) };
}

/** The learner's step once lab N is green: its debrief (when written), then lab N+1. */
export function nextAfterGreen(repo: LabRepo, lab: Lab): string {
  const debrief = existsSync(debriefFile(lab)) ? `npm run lab debrief ${lab.nn}, then ` : '';
  const labs = listLabs(repo);
  const next = labs.find((other) => other.number > lab.number);
  if (next) return `${debrief}npm run lab start ${next.nn}`;
  const cumulative = `npm run verify lab-${lab.nn} -- --cumulative proves every lab still holds`;
  const planned = plannedLabs(labs).find((other) => other.number > lab.number);
  if (planned) return `${debrief}${cumulative}; lab ${planned.nn} is not written yet`;
  return `that was the last lab — ${debrief}${cumulative}`;
}
