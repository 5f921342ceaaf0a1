import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { resolveLab } from '../catalog.ts';
import { walkFiles } from '../files.ts';
import { baselineTree, cheatTree, labTree, materialize } from '../tree.ts';
import { BASE_APP, CHEAT_APP, createFixture, SOLUTION_APP, STARTER_APP, type Fixture } from './fixture.ts';

// Read-only tests: one repository for the whole file; each test gets its own output folder.
let fx: Fixture;
let out: string;
beforeAll(() => {
  fx = createFixture();
});
afterAll(() => fx.cleanup());
beforeEach(() => {
  out = mkdtempSync(join(tmpdir(), 'lab-tree-out-'));
});
afterEach(() => rmSync(out, { recursive: true, force: true }));

describe('the overlay chain', () => {
  it('leaves README.md, test/ and node_modules out of the baseline tree', () => {
    expect([...baselineTree(fx.repo).keys()]).toEqual(['api/app.ts', 'api/server.ts', 'bin/run.sh', 'optimizer/legacy.ts']);
  });

  it('materializes starter(1) as the baseline plus the starter overlay, with its deletion applied', () => {
    materialize(labTree(fx.repo, fx.lab(1), 'starter'), out);
    expect(walkFiles(out)).toEqual(['api/app.ts', 'api/server.ts', 'bin/run.sh']);
    expect(readFileSync(join(out, 'api/app.ts'), 'utf8')).toBe(STARTER_APP);
  });

  it('materializes solution(1) as starter(1) plus the solution overlay, with its new file', () => {
    materialize(labTree(fx.repo, fx.lab(1), 'solution'), out);
    expect(walkFiles(out)).toEqual(['api/app.ts', 'api/profile.ts', 'api/server.ts', 'bin/run.sh']);
    expect(readFileSync(join(out, 'api/app.ts'), 'utf8')).toBe(SOLUTION_APP);
  });

  it('builds starter(2) on solution(1), not on starter(1) or the baseline', () => {
    const tree = labTree(fx.repo, fx.lab(2), 'starter');
    materialize(tree, out);
    expect(walkFiles(out)).toEqual(['api/app.ts', 'api/limit.ts', 'api/profile.ts', 'api/server.ts', 'bin/run.sh']);
    expect(readFileSync(join(out, 'api/app.ts'), 'utf8')).toBe(SOLUTION_APP);
    expect(readFileSync(join(out, 'api/limit.ts'), 'utf8')).toContain('TODO lab 02');
    expect(BASE_APP).not.toBe(SOLUTION_APP);
  });

  it('applies a cheat on its lab\'s solution, and never carries it into the next lab', () => {
    materialize(cheatTree(fx.repo, fx.lab(1), '01.beta'), out);
    expect(walkFiles(out)).toEqual(['api/app.ts', 'api/profile.ts', 'api/server.ts', 'bin/run.sh']);
    expect(readFileSync(join(out, 'api/app.ts'), 'utf8')).toBe(CHEAT_APP);
    expect(readFileSync(labTree(fx.repo, fx.lab(2), 'starter').get('api/app.ts')!.source, 'utf8')).toBe(SOLUTION_APP);
  });

  it('names the cheats a lab has when asked for one it lacks', () => {
    expect(() => cheatTree(fx.repo, fx.lab(1), '01.extra')).toThrow('lab 01 has no cheat for 01.extra');
  });

  it('keeps the executable bit of scripts', () => {
    materialize(labTree(fx.repo, fx.lab(2), 'solution'), out);
    expect(statSync(join(out, 'bin/run.sh')).mode & 0o111).not.toBe(0);
    expect(statSync(join(out, 'api/app.ts')).mode & 0o111).toBe(0);
  });

  it('replaces whatever the target folder held', () => {
    writeFileSync(join(out, 'stale.txt'), 'x');
    materialize(labTree(fx.repo, fx.lab(1), 'starter'), out);
    materialize(labTree(fx.repo, fx.lab(1), 'starter'), out);
    expect(walkFiles(out)).toHaveLength(3);
  });

  it('refuses an overlay file that has no lock entry, naming the file and the command that fixes it', () => {
    fx.write('labs/02-second/solution/api/stray.ts', 'oops\n');
    onTestFinished(() => fx.remove('labs/02-second/solution/api/stray.ts'));
    expect(() => labTree(fx.repo, fx.lab(2), 'solution')).toThrow(
      /labs\/02-second\/solution\/api\/stray\.ts has no entry in labs\/02-second\/lock\.json/,
    );
    try {
      labTree(fx.repo, fx.lab(2), 'solution');
    } catch (error) {
      expect((error as { fix?: string }).fix).toBe('npm run lab lock 02');
    }
  });
});

describe('lab names', () => {
  it.each(['2', '02', 'lab-02', 'lab02', '02-second', 'lab-02-second', 'second'])('accepts "%s"', (ref) => {
    expect(resolveLab(fx.repo, ref).name).toBe('02-second');
  });

  it('rejects an unknown lab in one line that lists the valid ones', () => {
    expect(() => resolveLab(fx.repo, '3')).toThrow('unknown lab "3"; valid labs: 01-first, 02-second');
    expect(() => resolveLab(fx.repo, '02-wrong')).toThrow(/unknown lab/);
  });
});
