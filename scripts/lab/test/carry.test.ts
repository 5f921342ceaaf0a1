import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { carryWorkspace } from '../carry.ts';
import { lockLab } from '../lock.ts';
import { backupsDir } from '../paths.ts';
import { readWorkspaceState, startWorkspace, workspaceChanges } from '../workspace.ts';
import { createFixture, lines, SOLUTION_APP, type Fixture } from './fixture.ts';

// Lab 02's starter here also changes app.ts's last line and deletes profile.ts and run.sh.
const STARTER_02_APP = SOLUTION_APP.replace('export const port = 8080;', 'export const port = 9090; // lab 02');
const PROFILE = lines('export const profile = "pprof";');

let fx: Fixture;
beforeEach(() => {
  fx = createFixture();
  fx.write('labs/02-second/starter/api/app.ts', STARTER_02_APP);
  const lock = JSON.parse(fx.read('labs/02-second/lock.json'));
  lock.starter['api/profile.ts'] = { base: null, delete: true };
  lock.starter['bin/run.sh'] = { base: null, delete: true };
  fx.write('labs/02-second/lock.json', JSON.stringify(lock));
  lockLab(fx.repo, fx.lab(2));
  // The learner did lab 01 in their own way, and left notes.
  startWorkspace(fx.repo, fx.lab(1), 'starter', { now });
  fx.write('workspace/api/profile.ts', PROFILE);
  fx.write('workspace/bin/run.sh', lines('#!/bin/sh', 'node --cpu-prof api/server.ts'));
  fx.write('workspace/notes.md', 'my notes\n');
});
afterEach(() => fx.cleanup());

const now = new Date('2031-02-03T04:05:06.789Z');

describe('npm run lab start N+1 -- --carry', () => {
  it('keeps a lab 01 edit, merged, in a file lab 02\'s starter also changes, and applies the rest of the starter', () => {
    fx.write('workspace/api/app.ts', SOLUTION_APP.replace('"hello, profiled"', '"hello, mine"'));
    const report = carryWorkspace(fx.repo, fx.lab(2), now);
    expect(report.outcomes).toEqual([
      { path: 'api/app.ts', result: 'merged' },
      { path: 'api/limit.ts', result: 'added' },
      { path: 'api/profile.ts', result: 'removed' },
      { path: 'api/server.ts', result: 'updated' },
      { path: 'bin/run.sh', result: 'kept-edited' },
    ]);
    expect(fx.read('workspace/api/app.ts')).toBe(STARTER_02_APP.replace('"hello, profiled"', '"hello, mine"'));
    expect(fx.read('workspace/api/limit.ts')).toBe(fx.read('labs/02-second/starter/api/limit.ts'));
    expect(fx.read('workspace/api/server.ts')).toBe(fx.read('labs/02-second/starter/api/server.ts'));
    expect(existsSync(join(fx.root, 'workspace/api/profile.ts'))).toBe(false);
    expect(fx.read('workspace/bin/run.sh')).toContain('--cpu-prof');
    expect(fx.read('workspace/notes.md')).toBe('my notes\n');
    // The state says lab 02's starter, so what the learner carried counts as their edits.
    expect(readWorkspaceState(fx.repo)).toMatchObject({ lab: '02-second', variant: 'starter' });
    expect(workspaceChanges(fx.repo)).toMatchObject({ edited: ['api/app.ts'], added: ['bin/run.sh', 'notes.md'], deleted: [] });
    expect(readFileSync(join(report.backup, 'api/app.ts'), 'utf8')).toContain('"hello, mine"');
  });

  it('marks a line both changed as a conflict in the file and lists it', () => {
    fx.write('workspace/api/app.ts', SOLUTION_APP.replace('port = 8080', 'port = 3000'));
    const report = carryWorkspace(fx.repo, fx.lab(2), now);
    expect(report.outcomes[0]).toEqual({ path: 'api/app.ts', result: 'conflict', conflicts: 1 });
    expect(fx.read('workspace/api/app.ts')).toContain(lines(
      '<<<<<<< your code (workspace/api/app.ts)',
      'export const port = 3000;',
      '||||||| lab 01 solution',
      'export const port = 8080;',
      '=======',
      'export const port = 9090; // lab 02',
      '>>>>>>> lab 02 starter',
    ));
  });

  it('refuses, touching nothing, when a file to merge still has conflict markers', () => {
    fx.write('workspace/api/app.ts', lines('<<<<<<< mine', 'a', '=======', 'b', '>>>>>>> theirs'));
    expect(() => carryWorkspace(fx.repo, fx.lab(2), now)).toThrow('workspace/api/app.ts still has conflict markers');
    expect(existsSync(backupsDir(fx.repo))).toBe(false);
    expect(readWorkspaceState(fx.repo)).toMatchObject({ lab: '01-first' });
  });

  it('carries only from the lab right before, with the command that starts over instead', () => {
    expect(() => carryWorkspace(fx.repo, fx.lab(1), now)).toThrow("lab 01 is the first lab: there is no earlier lab's code to carry into it");
    startWorkspace(fx.repo, fx.lab(2), 'starter', { now, force: true });
    expect(() => carryWorkspace(fx.repo, fx.lab(2), now)).toThrow("--carry merges lab 02's starter into your lab 01 code, but workspace/ holds lab 02-second starter");
    expect(readdirSync(backupsDir(fx.repo))).toHaveLength(1);
  });
});
