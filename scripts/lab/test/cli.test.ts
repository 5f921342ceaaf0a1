// The real CLIs as child processes, on a temporary repository (LAB_ROOT), as a learner runs
// them. The tests are one session in order: each starts from where the previous one left off.
import { spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockLab } from '../lock.ts';
import { createFixture, lines, type Fixture } from './fixture.ts';

const scripts = resolve(import.meta.dirname, '../..');
let fx: Fixture;

function run(script: 'lab.ts' | 'verify.ts', ...args: string[]) {
  // No npm_lifecycle_event: flags come from argv only, whatever npm the tests run under.
  const env = { ...process.env, LAB_ROOT: fx.root, npm_lifecycle_event: '', FORCE_COLOR: '0', NO_COLOR: '1' };
  const result = spawnSync(process.execPath, [join(scripts, script), ...args], { cwd: fx.root, env, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  fx = createFixture({ commit: false });
  // Real tests for lab 01, so verify runs vitest for real against workspace/ (LAB_TREE).
  fx.write('vitest.config.ts', "export default { test: { include: ['labs/*/test/**/*.test.ts'] } };\n");
  fx.write('labs/01-first/test/first.test.ts', lines(
    "import { existsSync } from 'node:fs';",
    "import { join } from 'node:path';",
    "import { expect, it } from 'vitest';",
    "const tree = process.env.LAB_TREE!;",
    "it('01.alpha serves a profile', () => { expect(existsSync(join(tree, 'api/profile.ts')), 'api/profile.ts exists').toBe(true); });",
    "it('01.beta keeps the server', () => { expect(existsSync(join(tree, 'api/server.ts'))).toBe(true); });",
  ));
  lockLab(fx.repo, fx.lab(1));
  symlinkSync(resolve(scripts, '../node_modules'), join(fx.root, 'node_modules'));
  fx.commit('fixture');
});
afterAll(() => fx.cleanup());

describe('npm run lab', () => {
  it('prints an expected problem as one line plus the fix, without a stack, and exits 1', () => {
    const { code, stderr } = run('lab.ts', 'start', '9');
    expect(code).toBe(1);
    expect(stderr).toBe('✗ unknown lab "9"; valid labs: 01-first, 02-second\n');
  });

  it('names an unknown option back, with where to look', () => {
    const { code, stderr } = run('lab.ts', 'start', '1', '--froce');
    expect(code).toBe(1);
    expect(stderr).toContain("✗ Unknown option '--froce'");
    expect(stderr).toContain('Fix: npm run lab help');
  });

  it('starts a lab into workspace/, one line per step, ending with Next', () => {
    const { code, stdout } = run('lab.ts', 'start', 'lab-01');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual([
      'Lab 01 · First lab — starter',
      '  ✓ wrote 3 files to workspace/',
      'Next: read labs/01-first/README.md, edit workspace/, then npm run verify lab-01',
    ]);
  });

  it('refuses to overwrite an edit and says how to force it', () => {
    fx.write('workspace/api/app.ts', 'edited\n');
    const { code, stderr } = run('lab.ts', 'solution', '01');
    expect(code).toBe(1);
    expect(stderr).toContain('✗ workspace/ has 1 file changed that lab 01 solution would overwrite: api/app.ts');
    expect(stderr).toContain('Fix: npm run lab solution 01 -- --force');
    fx.write('workspace/api/app.ts', fx.read('labs/01-first/starter/api/app.ts'));
  });

  it('ends lab check with "Everything looks fine!" once CHECKLIST.md and the schema exist', () => {
    expect(run('lab.ts', 'check').code).toBe(1);
    expect(run('lab.ts', 'checklist').code).toBe(0);
    expect(run('lab.ts', 'schema').code).toBe(0);
    const { code, stdout } = run('lab.ts', 'check');
    expect(stdout.trim().split('\n').at(-1)).toBe('Everything looks fine!');
    expect(code).toBe(0);
  });

  it('lists the labs with level, duration and progress', () => {
    const { code, stdout } = run('lab.ts', 'list');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}01 +First lab +beginner +2h +–$/m);
    expect(stdout).toContain('Next: npm run verify lab-01');
  });
});

describe('npm run verify', () => {
  it('fails a criterion with its expectation in one line and points at the hint, then records progress', () => {
    const { code, stdout } = run('verify.ts', 'lab-01');
    expect(code).toBe(1);
    expect(stdout).toContain('  ✗ 01.alpha  api/profile.ts exists: expected false to be true // Object.is equality  → npm run lab hint 01');
    expect(stdout).toContain('  ✓ 01.beta   the beta works');
    expect(stdout).toContain('Progress: 0 of 2 labs done, 1/3 required criteria · 01 1/2 · 02 –');
    expect(stdout.trim().split('\n').at(-1)).toBe('Next: npm run lab hint 01, fix workspace/, then npm run verify lab-01');
    expect(JSON.parse(fx.read('.lab/progress.json')).labs['01-first'].criteria).toEqual({ '01.alpha': 'failed', '01.beta': 'passed', '01.extra': 'failed' });
  });

  it('hints at the criterion that failed', () => {
    expect(run('lab.ts', 'hint', '1').stdout).toContain('Hint 1/2: first hint for alpha');
  });

  it('passes the reference solution with --solution, without recording it as progress', () => {
    const { code, stdout } = run('verify.ts', 'lab-01', '--solution');
    expect(stdout).toContain('  ✓ 01.alpha  the alpha works');
    expect(stdout).toContain('Next: npm run lab diff 01 shows what the solution changes');
    expect(code).toBe(0);
    expect(JSON.parse(fx.read('.lab/progress.json')).labs['01-first'].criteria['01.alpha']).toBe('failed');
  });

  it('says to start the lab when workspace/ is missing', () => {
    fx.remove('workspace');
    const { code, stderr } = run('verify.ts', 'lab-02');
    expect(code).toBe(1);
    expect(stderr).toBe('✗ workspace/ is empty: there is no lab to verify yet\n  Fix: npm run lab start 02\n');
  });
});

describe('npm run lab branches', () => {
  it('prints one line per branch and the push command', () => {
    fx.commit('generated CHECKLIST.md and labs/lab.schema.json');
    const { code, stdout } = run('lab.ts', 'branches');
    expect(code).toBe(0);
    const out = stdout.split('\n').filter(Boolean);
    expect(out.slice(0, 4).map((line) => /^ {2}✓ (lab-\d\d-\w+) +[0-9a-f]{12} {2}created$/.exec(line)?.[1])).toEqual([
      'lab-01-starter', 'lab-01-solution', 'lab-02-starter', 'lab-02-solution',
    ]);
    expect(out.slice(4)).toEqual(["Next: git push <remote> 'refs/heads/lab-*'"]);
  });
});
