// `npm run lab debrief NN`: the answer to lab NN (labs/NN-slug/DEBRIEF.md, lab-standard.md §3),
// of which the terminal shows the first screen.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from './catalog.ts';

const SCREEN_LINES = 30;

export const debriefFile = (lab: Lab) => join(lab.dir, 'DEBRIEF.md');

/** The debrief's first screen and how many lines follow it, or null when it is not written yet. */
export function debriefScreen(lab: Lab): { lines: string[]; more: number } | null {
  const path = debriefFile(lab);
  if (!existsSync(path)) return null;
  const lines = readFileSync(path, 'utf8').replace(/\n+$/, '').split('\n');
  return { lines: lines.slice(0, SCREEN_LINES), more: Math.max(0, lines.length - SCREEN_LINES) };
}
