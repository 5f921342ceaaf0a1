// The parts of `npm run lab preflight` that need no machine: the lines, the Node floor, the
// ports read from scripts/start.ts, and what counts as `npm ci` done.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { engineFloor, formatCheck, installCheck, meetsFloor, nodeCheck, startPorts } from '../preflight.ts';

describe('npm run lab preflight', () => {
  it('prints one line per check: the mark, the name in a column, the detail and the fix', () => {
    expect(formatCheck({ mark: '✓', name: 'disk', detail: '75.5 GiB free where the repository is' })).toBe('  ✓ disk            75.5 GiB free where the repository is');
    expect(formatCheck({ mark: '!', name: 'graphviz', detail: 'no dot', fix: 'apt-get install graphviz' })).toBe('  ! graphviz        no dot — fix: apt-get install graphviz');
  });

  it('reads the Node floor from engines and compares versions part by part', () => {
    expect(engineFloor('>=22.22')).toEqual([22, 22, 0]);
    expect(engineFloor(' >= v24 ')).toEqual([24, 0, 0]);
    expect(() => engineFloor('^22.22')).toThrow('is not of the form >=X.Y.Z');
    expect(['v22.22.0', 'v22.22.1', 'v23.0.0', 'v24.21.0'].map((version) => meetsFloor(version, [22, 22, 0]))).toEqual([true, true, true, true]);
    expect(['v22.21.9', 'v22.9.0', 'v20.30.0'].map((version) => meetsFloor(version, [22, 22, 0]))).toEqual([false, false, false]);
  });

  it('fails an old Node with the command that installs the project\'s one', () => {
    expect(nodeCheck('v24.21.0', '>=22.22')).toEqual({ mark: '✓', name: 'node', detail: 'v24.21.0 (package.json wants >=22.22)' });
    expect(nodeCheck('v20.11.0', '>=22.22')).toMatchObject({ mark: '✗', fix: 'npm run node:install, then put the folder it prints first on PATH' });
  });

  it("reads npm start's ports from scripts/start.ts: --port's default and the fixed admin ports", () => {
    const ports = startPorts(readFileSync(resolve(import.meta.dirname, '../../start.ts'), 'utf8'));
    expect(ports[0]).toEqual({ port: 3000, what: '--port' });
    expect(ports).toEqual(expect.arrayContaining([
      { port: 9464, what: 'API_ADMIN_PORT' },
      { port: 9465, what: 'OPTIMIZER_ADMIN_PORT' },
      { port: 9466, what: 'WORKER_ADMIN_PORT' },
    ]));
    expect(() => startPorts('const port = 3000;')).toThrow('scripts/start.ts no longer names its ports');
  });

  describe('npm ci done', () => {
    let root: string;
    const write = (path: string, value: unknown) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), JSON.stringify(value));
    };
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it('passes when node_modules holds every package at its pinned version, and names the missing and stale ones', () => {
      root = mkdtempSync(join(tmpdir(), 'lab-preflight-'));
      write('package.json', { dependencies: { express: '5.3.0', zod: '4.6.7' }, devDependencies: { vitest: '5.1.1', tool: '^1.0.0' } });
      write('node_modules/express/package.json', { version: '5.3.0' });
      write('node_modules/zod/package.json', { version: '4.6.7' });
      write('node_modules/vitest/package.json', { version: '5.1.1' });
      write('node_modules/tool/package.json', { version: '1.4.0' });
      expect(installCheck(root)).toEqual({ mark: '✓', name: 'npm ci', detail: 'node_modules holds the 4 packages of package.json' });
      write('node_modules/zod/package.json', { version: '4.5.0' });
      rmSync(join(root, 'node_modules/vitest'), { recursive: true });
      expect(installCheck(root)).toEqual({ mark: '✗', name: 'npm ci', detail: 'node_modules is not what package.json asks: zod 4.5.0 (wants 4.6.7), vitest missing', fix: 'npm ci' });
    });
  });
});
