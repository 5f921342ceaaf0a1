import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { walkFiles } from '../files.ts';
import { backupsDir, workspaceDir } from '../paths.ts';
import { readWorkspaceState, startWorkspace, workspaceChanges } from '../workspace.ts';
import { createFixture, SOLUTION_APP, STARTER_APP, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeEach(() => {
  fx = createFixture();
});
afterEach(() => fx.cleanup());

const now = new Date('2031-02-03T04:05:06.789Z');

describe('npm run lab start / solution', () => {
  it('writes the starter into workspace/ and records the lab, the variant and every file\'s blob id', () => {
    const result = startWorkspace(fx.repo, fx.lab(1), 'starter', { now });
    expect(result).toMatchObject({ files: 3, backup: null, previous: null });
    expect(fx.read('workspace/api/app.ts')).toBe(STARTER_APP);
    const state = readWorkspaceState(fx.repo)!;
    expect(state).toMatchObject({ formatVersion: 1, lab: '01-first', variant: 'starter', writtenAt: now.toISOString() });
    expect(state.files['api/app.ts']).toBe(fx.git('hash-object', 'workspace/api/app.ts'));
    expect(workspaceChanges(fx.repo)).toMatchObject({ edited: [], added: [], deleted: [] });
  });

  it('moves on to another lab when nothing was edited, keeping a backup of what was there', () => {
    startWorkspace(fx.repo, fx.lab(1), 'starter', { now });
    const result = startWorkspace(fx.repo, fx.lab(1), 'solution', { now });
    expect(fx.read('workspace/api/app.ts')).toBe(SOLUTION_APP);
    expect(result.backup).toBe(join(backupsDir(fx.repo), '2031-02-03T04-05-06.789Z'));
    expect(result.previous).toMatchObject({ lab: '01-first', variant: 'starter' });
  });

  it('refuses to overwrite edited files, naming them and the --force command', () => {
    startWorkspace(fx.repo, fx.lab(1), 'starter', { now });
    fx.write('workspace/api/app.ts', 'my work\n');
    fx.write('workspace/notes.md', 'my notes\n');
    expect(() => startWorkspace(fx.repo, fx.lab(2), 'starter', { now })).toThrow(
      'workspace/ has 2 files changed that lab 02 starter would overwrite: api/app.ts, notes.md (new)',
    );
    try {
      startWorkspace(fx.repo, fx.lab(2), 'starter', { now });
    } catch (error) {
      expect((error as { fix?: string }).fix).toBe('npm run lab start 02 -- --force (a backup of workspace/ goes to .lab/backups/)');
    }
    expect(fx.read('workspace/api/app.ts')).toBe('my work\n');
  });

  it('does not count a deleted file as an edit to protect', () => {
    startWorkspace(fx.repo, fx.lab(1), 'starter', { now });
    fx.remove('workspace/api/server.ts');
    expect(workspaceChanges(fx.repo)).toMatchObject({ edited: [], added: [], deleted: ['api/server.ts'] });
    expect(() => startWorkspace(fx.repo, fx.lab(1), 'starter', { now })).not.toThrow();
    expect(existsSync(join(workspaceDir(fx.repo), 'api/server.ts'))).toBe(true);
  });

  it('treats files it did not write (no state file) as the learner\'s', () => {
    fx.write('workspace/api/app.ts', 'copied by hand\n');
    expect(() => startWorkspace(fx.repo, fx.lab(1), 'starter', { now })).toThrow(/not written by the lab tools \(no workspace\/\.lab-state\.json\)/);
  });

  it('with --force overwrites, after a timestamped backup that holds the edits', () => {
    startWorkspace(fx.repo, fx.lab(1), 'starter', { now });
    fx.write('workspace/api/app.ts', 'my work\n');
    fx.write('workspace/node_modules/big/index.js', 'installed\n');
    const result = startWorkspace(fx.repo, fx.lab(2), 'starter', { force: true, now });
    expect(result.backup).not.toBeNull();
    expect(readFileSync(join(result.backup!, 'api/app.ts'), 'utf8')).toBe('my work\n');
    expect(existsSync(join(result.backup!, '.lab-state.json'))).toBe(true);
    // node_modules is installed content: neither backed up nor deleted.
    expect(existsSync(join(result.backup!, 'node_modules'))).toBe(false);
    expect(fx.read('workspace/node_modules/big/index.js')).toBe('installed\n');
    expect(fx.read('workspace/api/app.ts')).toBe(SOLUTION_APP);
    expect(walkFiles(workspaceDir(fx.repo), (name) => name === 'node_modules')).toEqual([
      '.lab-state.json', 'api/app.ts', 'api/limit.ts', 'api/profile.ts', 'api/server.ts', 'bin/run.sh',
    ]);
  });

  it('never overwrites an earlier backup made in the same millisecond', () => {
    startWorkspace(fx.repo, fx.lab(1), 'starter', { now });
    startWorkspace(fx.repo, fx.lab(1), 'starter', { now });
    startWorkspace(fx.repo, fx.lab(1), 'starter', { now });
    expect(readdirSync(backupsDir(fx.repo)).sort()).toEqual(['2031-02-03T04-05-06.789Z', '2031-02-03T04-05-06.789Z-1']);
  });
});
