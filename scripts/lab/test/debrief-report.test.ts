import { execFileSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { debriefScreen } from '../debrief.ts';
import { loadLabMeta } from '../lab-meta.ts';
import { createReport, reportCriteria } from '../report.ts';
import { startWorkspace } from '../workspace.ts';
import { createFixture, labJson, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeEach(() => {
  fx = createFixture();
});
afterEach(() => fx.cleanup());

describe('npm run lab debrief', () => {
  it('is null when the lab has no DEBRIEF.md yet', () => {
    expect(debriefScreen(fx.lab(1))).toBeNull();
  });

  it('shows the first 30 lines and counts the rest', () => {
    fx.write('labs/01-first/DEBRIEF.md', `${Array.from({ length: 42 }, (_, index) => `line ${index + 1}`).join('\n')}\n\n`);
    const screen = debriefScreen(fx.lab(1))!;
    expect(screen.lines).toHaveLength(30);
    expect(screen.lines.at(-1)).toBe('line 30');
    expect(screen.more).toBe(12);
  });
});

describe('npm run lab report', () => {
  const withReportCriterion = () =>
    fx.write('labs/01-first/lab.json', labJson('01', 'First lab', ['alpha', 'beta', 'flame-graph']).replace('the flame-graph works', 'Your lab report holds a flame graph'));

  it('writes reports/lab-NN.md from the template, naming the bonus criteria that ask for a report', () => {
    withReportCriterion();
    const meta = loadLabMeta(fx.repo, fx.lab(1));
    expect(reportCriteria(meta).map((criterion) => criterion.id)).toEqual(['01.flame-graph']);
    const { path, created } = createReport(fx.repo, fx.lab(1), meta);
    expect([path, created]).toEqual([join(fx.root, 'reports/lab-01.md'), true]);
    const text = fx.read('reports/lab-01.md');
    expect(text.split('\n').slice(0, 5)).toEqual(['# Lab 01 · First lab — my report', '', 'The bonus criteria this report answers:', '', '- [ ] `01.flame-graph` Your lab report holds a flame graph']);
    expect(text.match(/^## .*/gm)).toEqual(['## What I measured', '## Commands', '## Figures', '## What I learned']);
    expect(createReport(fx.repo, fx.lab(2), loadLabMeta(fx.repo, fx.lab(2))).created).toBe(true);
    expect(fx.read('reports/lab-02.md')).not.toContain('bonus criteria');
  });

  it('never writes over a report that exists, and lab start leaves reports/ alone', () => {
    fx.write('reports/lab-01.md', 'my own report\n');
    expect(createReport(fx.repo, fx.lab(1), loadLabMeta(fx.repo, fx.lab(1))).created).toBe(false);
    startWorkspace(fx.repo, fx.lab(1), 'starter');
    fx.write('workspace/api/app.ts', 'edited\n');
    startWorkspace(fx.repo, fx.lab(2), 'starter', { force: true });
    expect(fx.read('reports/lab-01.md')).toBe('my own report\n');
  });

  it('is not hidden by the repository\'s .gitignore, figures and logs included', () => {
    copyFileSync(resolve(import.meta.dirname, '../../../.gitignore'), join(fx.root, '.gitignore'));
    fx.write('reports/lab-01.md', '# report\n');
    fx.write('reports/flame.log', 'samples\n');
    expect(fx.git('status', '--porcelain', '--untracked-files=all', 'reports')).toBe('?? reports/flame.log\n?? reports/lab-01.md');
    expect(() => execFileSync('git', ['check-ignore', '-q', 'reports/flame.log'], { cwd: fx.root })).toThrow();
  });
});
