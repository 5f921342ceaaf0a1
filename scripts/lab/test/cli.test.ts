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
    const { code, stderr } = run('lab.ts', 'start', '3');
    expect(code).toBe(1);
    expect(stderr).toBe('✗ unknown lab "3"; valid labs: 01-first, 02-second\n');
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
    expect(stdout).toContain('  ✗ 01.alpha  api/profile.ts exists: expected false to be true // Object.is equality  → npm run lab hint 01 01.alpha\n');
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

describe('a learner moving through the labs', () => {
  const lastLine = (text: string) => text.trim().split('\n').at(-1);

  it('refuses lab 02 over edits while lab 01 is not green, offering --carry or --force', () => {
    expect(run('lab.ts', 'start', '1').code).toBe(0);
    fx.write('workspace/api/app.ts', fx.read('workspace/api/app.ts').replace('// TODO lab 01', '// mine'));
    const { code, stderr } = run('lab.ts', 'start', '2');
    expect(code).toBe(1);
    expect(stderr.split('\n')[0]).toBe('✗ workspace/ has 1 file changed that lab 02 starter would overwrite: api/app.ts, and lab 01 has not passed npm run verify lab-01 yet');
    expect(stderr.split('\n')[1]).toMatch(/^ {2}Fix: npm run lab start 02 -- --carry \(.*\) or -- --force \(.*\)$/);
  });

  it('says in one line when a lab has no debrief yet, and warns before a green verify when it has one', () => {
    expect(run('lab.ts', 'debrief', '1').stdout).toBe('Lab 01 has no debrief yet (labs/01-first/DEBRIEF.md is not written).\n');
    fx.write('labs/01-first/DEBRIEF.md', `${Array.from({ length: 35 }, (_, index) => `debrief line ${index + 1}`).join('\n')}\n`);
    const out = run('lab.ts', 'debrief', '01').stdout.split('\n');
    expect(out.slice(0, 3)).toEqual([
      'Debrief of lab 01: labs/01-first/DEBRIEF.md',
      '  ! you have not passed npm run verify lab-01 yet: the debrief gives the answers away',
      '',
    ]);
    expect(out.slice(3, 5)).toEqual(['debrief line 1', 'debrief line 2']);
    expect(out.slice(32)).toEqual(['debrief line 30', '… 5 more lines in labs/01-first/DEBRIEF.md', '']);
  });

  it('after a green verify points at the debrief, then the next lab', () => {
    fx.write('workspace/api/profile.ts', 'export const profile = "mine";\n');
    const { code, stdout } = run('verify.ts', 'lab-01');
    expect(code).toBe(0);
    expect(lastLine(stdout)).toBe('Next: npm run lab debrief 01, then npm run lab start 02');
    expect(run('lab.ts', 'debrief', '1').stdout).not.toContain('you have not passed');
  });

  it('starts lab 02 over a green lab 01 without --force, after a backup, saying it starts from the reference solution', () => {
    const { code, stdout } = run('lab.ts', 'start', '2');
    expect(code).toBe(0);
    const out = stdout.trim().split('\n');
    expect(out[0]).toBe('Lab 02 · Second lab — starter');
    expect(out[1]).toBe('  ✓ lab 01 passed at your last verify: moving on');
    expect(out[2]).toMatch(/^ {2}✓ backed up workspace\/ \(was lab 01-first starter\) to \.lab\/backups\/[\dT:.Z-]+\/$/);
    expect(out.slice(3)).toEqual([
      '  ✓ wrote 5 files to workspace/',
      "  · lab 02 starts from lab 01's reference solution, not from your code (yours is in the backup)",
      'Next: read labs/02-second/README.md, edit workspace/, then npm run verify lab-02',
    ]);
    expect(fx.read(`${out[2]!.split(' to ')[1]}api/app.ts`)).toContain('// mine');
  });

  it('with --carry merges lab 02\'s starter into the learner\'s lab 01 code, listing the conflicts', () => {
    expect(run('lab.ts', 'start', '1').code).toBe(0);
    fx.write('workspace/api/server.ts', lines('import "./app.ts";', 'console.log("api ready on 3000");'));
    expect(run('lab.ts', 'start', '2', '--carry', '--force').stderr).toBe('✗ --carry keeps your code and --force replaces it: pick one\n  Fix: npm run lab start 02 -- --carry\n');
    const { code, stdout } = run('lab.ts', 'start', '2', '--carry');
    expect(code).toBe(1);
    const out = stdout.trim().split('\n');
    expect(out[0]).toBe('Lab 02 · Second lab — starter, merged into your lab 01 code');
    expect(out[1]).toMatch(/^ {2}✓ backed up workspace\/ to \.lab\/backups\/.+\/$/);
    expect(out.slice(2)).toEqual([
      '  ✓ api/limit.ts: added by the starter',
      '  ✗ api/server.ts: 1 conflict marked in the file',
      'Next: resolve the conflict markers in workspace/api/server.ts, then npm run verify lab-02',
    ]);
    expect(fx.read('workspace/api/server.ts')).toContain('>>>>>>> lab 02 starter');
    expect(JSON.parse(fx.read('workspace/.lab-state.json'))).toMatchObject({ lab: '02-second', variant: 'starter' });
  });

  it('gives the hints of the criterion named, and names the criteria when it does not exist', () => {
    const { stdout } = run('lab.ts', 'hint', '2', 'gamma');
    expect(stdout.trim().split('\n')).toEqual([
      '02.gamma (not verified yet): the gamma works',
      'Hint 1/2: first hint for gamma',
      'Next: npm run verify lab-02, or npm run lab hint 02 02.gamma for the next hint',
    ]);
    expect(run('lab.ts', 'hint', '2', 'nope').stderr).toBe('✗ lab 02 has no criterion "nope"; its criteria: 02.gamma\n  Fix: npm run lab hint 02 02.gamma\n');
    expect(run('lab.ts', 'hint', '2', 'gamma', 'more').stderr).toContain('✗ unexpected argument "more"');
  });

  it('lists the labs not written yet, and says so in one line when one is started', () => {
    const { stdout } = run('lab.ts', 'list');
    expect(stdout).toMatch(/^ {2}02 +Second lab +beginner +2h +–\n {2}05 +Protect the service from one greedy client +not yet written\n/m);
    expect(stdout).toMatch(/^ {2}13 +TLS, hostile uploads, tokens +not yet written$/m);
    expect(run('lab.ts', 'start', '05').stderr).toBe('✗ lab 05 · Protect the service from one greedy client is not written yet; valid labs: 01-first, 02-second\n');
  });

  it('starts a lab report once and never overwrites it', () => {
    expect(run('lab.ts', 'report', '1').stdout.split('\n')[0]).toBe('  ✓ wrote reports/lab-01.md');
    fx.write('reports/lab-01.md', 'my report\n');
    expect(run('lab.ts', 'report', '1').stdout.split('\n')[0]).toBe('  ✓ reports/lab-01.md already exists: left as it is');
    expect(fx.read('reports/lab-01.md')).toBe('my report\n');
  });
});
