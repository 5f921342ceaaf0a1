// Workshop branches as a learner gets them: a clone of the fixture, checked out on a generated
// branch, with the real CLIs run on it (LAB_ROOT) as in the room.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBranches } from '../branches.ts';
import { createFixture, type Fixture } from './fixture.ts';

const scripts = resolve(import.meta.dirname, '../..');
let fx: Fixture;
let clone: string;

const git = (...args: string[]) => execFileSync('git', args, { cwd: clone, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trimEnd();
const has = (path: string) => existsSync(join(clone, path));
const write = (path: string, text: string) => {
  mkdirSync(dirname(join(clone, path)), { recursive: true });
  writeFileSync(join(clone, path), text);
};

/** The branch as a fresh checkout: what an earlier test wrote is gone. */
function checkout(branch: string): void {
  git('switch', '-q', '--discard-changes', branch);
  git('clean', '-q', '-fdx');
}

function run(script: 'lab.ts' | 'verify.ts', ...args: string[]) {
  const env = { ...process.env, LAB_ROOT: clone, npm_lifecycle_event: '', FORCE_COLOR: '0', NO_COLOR: '1' };
  const result = spawnSync(process.execPath, [join(scripts, script), ...args], { cwd: clone, env, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const answersOf01 = "✗ this branch (lab-01-starter) does not carry lab 01's answers (its solution and debrief)\n  Fix: git switch lab-01-solution\n";

const cheatFolders = () => readdirSync(join(clone, 'labs')).filter((lab) => has(`labs/${lab}/cheats`));

beforeAll(() => {
  fx = createFixture();
  // The real .gitignore's build output line: workspace/dist/ must stay ignored on a branch.
  fx.write('.gitignore', 'node_modules/\nworkspace/\n.lab/\ndist/\n');
  fx.write('labs/01-first/DEBRIEF.md', '# Debrief 01\n');
  fx.write('labs/02-second/DEBRIEF.md', '# Debrief 02\n');
  fx.commit('debriefs');
  buildBranches(fx.repo);
  clone = mkdtempSync(join(tmpdir(), 'lab-branch-clone-'));
  execFileSync('git', ['clone', '-q', fx.root, clone], { stdio: 'ignore' });
});
afterAll(() => {
  fx.cleanup();
  rmSync(clone, { recursive: true, force: true });
});

describe('a generated branch, checked out in a clone', () => {
  it('lab-NN-starter carries no answer: no solution or debrief of lab NN or later, no cheat', () => {
    checkout('lab-01-starter');
    expect(has('workspace/api/app.ts') && has('labs/01-first/starter/api/app.ts') && has('labs/01-first/test/first.test.ts')).toBe(true);
    expect([has('labs/01-first/solution'), has('labs/01-first/DEBRIEF.md'), has('labs/02-second')]).toEqual([false, false, false]);
    expect(cheatFolders()).toEqual([]);
    checkout('lab-02-starter');
    // The earlier lab's answers are what this starter is built on.
    expect([has('labs/01-first/solution/api/profile.ts'), has('labs/01-first/DEBRIEF.md')]).toEqual([true, true]);
    expect([has('labs/02-second/starter/api/limit.ts'), has('labs/02-second/solution'), has('labs/02-second/DEBRIEF.md')]).toEqual([true, false, false]);
    expect(cheatFolders()).toEqual([]);
  });

  it('lab-NN-solution carries its own answers and nothing of a later lab', () => {
    checkout('lab-01-solution');
    expect([has('labs/01-first/solution/api/profile.ts'), has('labs/01-first/DEBRIEF.md'), has('workspace/api/profile.ts')]).toEqual([true, true, true]);
    expect(has('labs/02-second')).toBe(false);
    expect(cheatFolders()).toEqual([]);
  });

  it('shows a file the learner creates in workspace/ in git status, but not installed or built output', () => {
    checkout('lab-01-starter');
    expect(git('status', '--porcelain')).toBe('');
    write('workspace/api/notes.ts', 'export const mine = true;\n');
    write('workspace/api/app.ts', '// my fix\n');
    write('workspace/node_modules/pkg/index.js', 'module.exports = 1;\n');
    write('workspace/dist/app.js', 'built\n');
    expect(git('status', '--porcelain').split('\n')).toEqual([' M workspace/api/app.ts', '?? workspace/api/notes.ts']);
  });

  it('answers the lab commands there in one line, naming the branch that has what this one lacks', () => {
    checkout('lab-01-starter');
    expect(run('lab.ts', 'status').stdout).toContain('workspace/ holds lab 01-first starter, unchanged.');
    const answers = answersOf01;
    const refusals: [string[], string][] = [
      [['solution', '01'], answers],
      [['diff', '1'], answers],
      [['debrief', 'lab-01'], answers],
      [['start', '02'], '✗ this branch (lab-01-starter) does not carry lab 02\n  Fix: git switch lab-02-starter\n'],
      [['start', 'second'], '✗ this branch (lab-01-starter) does not carry lab 02\n  Fix: git switch lab-02-starter\n'],
      [['tree', '02', '--solution'], '✗ this branch (lab-01-starter) does not carry lab 02\n  Fix: git switch lab-02-solution\n'],
    ];
    for (const [args, stderr] of refusals) expect({ args, ...run('lab.ts', ...args) }).toMatchObject({ args, code: 1, stderr });
  }, 120_000);

  it('lists the labs the branch leaves out, with the branch that carries them', () => {
    checkout('lab-01-starter');
    expect(run('lab.ts', 'list').stdout).toMatch(/^ {2}02 +second +on branch lab-02-starter$/m);
  }, 30_000);

  it('refuses verify of the missing solution in one line, naming the branch that has it, and still starts the lab it carries', () => {
    checkout('lab-01-starter');
    expect(run('verify.ts', 'lab-01', '--solution')).toMatchObject({ code: 1, stderr: answersOf01 });
    const start = run('lab.ts', 'start', '01');
    expect(start.code).toBe(0);
    expect(start.stdout).toContain('✓ wrote 3 files to workspace/');
  }, 60_000);

  it('lets a solution branch write its own lab and the earlier ones, not a later one', () => {
    checkout('lab-01-solution');
    expect(run('lab.ts', 'solution', '01').code).toBe(0);
    expect(run('lab.ts', 'start', '01').code).toBe(0);
    expect(run('lab.ts', 'hint', '02').stderr).toBe('✗ this branch (lab-01-solution) does not carry lab 02\n  Fix: git switch lab-02-starter\n');
    checkout('lab-02-starter');
    expect(run('lab.ts', 'solution', '1').code).toBe(0);
    expect(run('lab.ts', 'start', '99').stderr).toMatch(/^✗ unknown lab "99"/);
  }, 60_000);
});
