import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { labDiff } from '../diff.ts';
import { lockLab } from '../lock.ts';
import { startWorkspace } from '../workspace.ts';
import { createFixture, lines, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeEach(() => {
  fx = createFixture();
});
afterEach(() => fx.cleanup());

describe('npm run lab diff', () => {
  it('shows what the lab changes as a unified diff from starter to solution', () => {
    const diff = labDiff(fx.repo, fx.lab(1)).text;
    expect(diff).toContain('diff --git starter/api/app.ts solution/api/app.ts');
    expect(diff).toContain('-const greeting = "hello"; // TODO lab 01');
    expect(diff).toContain('+const greeting = "hello, profiled";');
    expect(diff).toContain('new file mode 100644');
    expect(diff).toContain('+export const profile = "pprof";');
    expect(diff).not.toContain('server.ts');
  });

  it('hides whitespace-only changes unless asked to keep them', () => {
    fx.write('labs/02-second/solution/api/server.ts', lines('import "./app.ts";', 'import "./limit.ts";', 'console.log("api ready");  '));
    lockLab(fx.repo, fx.lab(2));
    const hidden = labDiff(fx.repo, fx.lab(2));
    expect(hidden.text).not.toContain('server.ts');
    expect(hidden.whitespaceOnly).toEqual(['api/server.ts']);
    expect(labDiff(fx.repo, fx.lab(2), { whitespace: true }).text).toContain('diff --git starter/api/server.ts solution/api/server.ts');
  });

  it('prints a diffstat on request', () => {
    expect(labDiff(fx.repo, fx.lab(2), { stat: true }).text).toMatch(/api\/limit\.ts \| 2 \+-/);
  });

  it('compares the learner\'s workspace/ with the solution, without the state file', () => {
    startWorkspace(fx.repo, fx.lab(2), 'starter');
    fx.write('workspace/api/limit.ts', lines('export const limit = 10;'));
    expect(labDiff(fx.repo, fx.lab(2), { workspace: true })).toEqual({ text: '', whitespaceOnly: [] });
    fx.write('workspace/api/limit.ts', lines('export const limit = 11;'));
    const changed = labDiff(fx.repo, fx.lab(2), { workspace: true }).text;
    expect(changed).toContain('diff --git workspace/api/limit.ts solution/api/limit.ts');
    expect(changed).not.toContain('.lab-state.json');
    fx.remove('workspace/api/server.ts');
    expect(labDiff(fx.repo, fx.lab(2), { workspace: true })).toMatchObject({ whitespaceOnly: [] });
  });
});
