// The workshop branches of this repository's own HEAD, built in a local clone so the real
// refs and working tree are never touched: no branch hands out an answer. No server runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBranches, type BranchResult } from '../branches.ts';
import { labRepo } from '../paths.ts';

const scripts = resolve(import.meta.dirname, '../..');
let clone: string;
let results: BranchResult[];

const git = (...args: string[]) => execFileSync('git', args, { cwd: clone, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

beforeAll(() => {
  clone = mkdtempSync(join(tmpdir(), 'lab-branches-repo-'));
  execFileSync('git', ['clone', '-q', '--local', resolve(scripts, '..'), clone], { stdio: 'ignore' });
  git('config', 'user.name', 'Lab Tests');
  git('config', 'user.email', 'lab-tests@example.com');
  results = buildBranches(labRepo(clone));
}, 120_000);
afterAll(() => rmSync(clone, { recursive: true, force: true }));

describe("this repository's workshop branches", () => {
  it('lab-01-starter, checked out, has no solution of lab 01, no cheat and no debrief', () => {
    const first = results[0]!.lab;
    git('switch', '-q', 'lab-01-starter');
    const labs = readdirSync(join(clone, 'labs'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    expect(labs).toEqual(['00-baseline', first.name]);
    expect(existsSync(join(clone, 'labs', first.name, 'solution'))).toBe(false);
    expect(labs.filter((lab) => existsSync(join(clone, 'labs', lab, 'cheats')) || existsSync(join(clone, 'labs', lab, 'DEBRIEF.md')))).toEqual([]);
    expect(existsSync(join(clone, 'workspace', 'api'))).toBe(true);
    const env = { ...process.env, LAB_ROOT: clone, FORCE_COLOR: '0', NO_COLOR: '1' };
    const solution = spawnSync(process.execPath, [join(scripts, 'lab.ts'), 'solution', '01'], { cwd: clone, env, encoding: 'utf8' });
    expect(solution.stderr).toBe("✗ this branch (lab-01-starter) does not carry lab 01's answers (its solution and debrief)\n  Fix: git switch lab-01-solution\n");
  }, 30_000);

  it('every branch leaves out the cheats and the later labs, and every starter its own answers', () => {
    for (const { name, lab, variant } of results) {
      const paths = git('ls-tree', '-r', '--name-only', name, '--', 'labs').split('\n');
      const folders = new Set(paths.map((path) => path.split('/')[1]!));
      const later = [...folders].filter((folder) => /^\d{2}-/.test(folder) && Number(folder.slice(0, 2)) > lab.number);
      const answers = paths.filter((path) => path.startsWith(`labs/${lab.name}/solution/`) || path === `labs/${lab.name}/DEBRIEF.md`);
      expect({ name, later, cheats: paths.filter((path) => path.split('/')[2] === 'cheats') }).toEqual({ name, later: [], cheats: [] });
      if (variant === 'starter') expect({ name, answers }).toEqual({ name, answers: [] });
      else expect(answers.length).toBeGreaterThan(0);
    }
  });
});
