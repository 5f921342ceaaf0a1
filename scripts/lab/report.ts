// `npm run lab report NN`: starts the learner's lab report, reports/lab-NN.md, from a short
// template, and never writes over one that exists: the report is the learner's own work.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from './catalog.ts';
import type { Criterion, LabMeta } from './lab-meta.ts';
import { reportsDir, type LabRepo } from './paths.ts';

export const reportFile = (repo: LabRepo, lab: Lab) => join(reportsDir(repo), `lab-${lab.nn}.md`);

/** The bonus criteria that are met in the lab report (their text says so). */
export function reportCriteria(meta: LabMeta): Criterion[] {
  return meta.criteria.filter((criterion) => criterion.level === 'bonus' && /\blab report\b/i.test(criterion.text));
}

export function reportTemplate(lab: Lab, meta: LabMeta): string {
  const criteria = reportCriteria(meta);
  const asks = criteria.length === 0 ? [] : ['The bonus criteria this report answers:', '', ...criteria.map((criterion) => `- [ ] \`${criterion.id}\` ${criterion.text}`), ''];
  return [
    `# Lab ${lab.nn} · ${meta.title} — my report`,
    '',
    ...asks,
    '## What I measured',
    '',
    '## Commands',
    '',
    'Every figure below comes from one of these, run on this repository.',
    '',
    '```sh',
    '```',
    '',
    '## Figures',
    '',
    '## What I learned',
    '',
  ].join('\n');
}

/** Returns the report's path and whether this call wrote it. */
export function createReport(repo: LabRepo, lab: Lab, meta: LabMeta): { path: string; created: boolean } {
  const path = reportFile(repo, lab);
  if (existsSync(path)) return { path, created: false };
  mkdirSync(reportsDir(repo), { recursive: true });
  writeFileSync(path, reportTemplate(lab, meta), { flag: 'wx' });
  return { path, created: true };
}
