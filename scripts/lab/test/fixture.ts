// A tiny lab repository in a temp folder, built fresh for each test: a baseline of four
// service files (plus the README, test/ and node_modules a tree must leave out) and two labs
// whose overlays replace, delete and add files, with a cheat per required criterion.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { listLabs, type Lab } from '../catalog.ts';
import { lockLab } from '../lock.ts';
import { labRepo, type LabRepo } from '../paths.ts';

export interface Fixture {
  root: string;
  repo: LabRepo;
  lab(number: number): Lab;
  write(path: string, text: string): void;
  read(path: string): string;
  remove(path: string): void;
  git(...args: string[]): string;
  commit(message: string): void;
  cleanup(): void;
}

/** Numbered lines, so an edit to one line merges cleanly with an edit three lines away. */
export const lines = (...items: string[]) => `${items.join('\n')}\n`;

export const BASE_APP = lines('// app', 'const greeting = "hello";', 'const a = 1;', 'const b = 2;', 'const c = 3;', 'const d = 4;', 'export const port = 8080;');
export const STARTER_APP = lines('// app', 'const greeting = "hello"; // TODO lab 01', 'const a = 1;', 'const b = 2;', 'const c = 3;', 'const d = 4;', 'export const port = 8080;');
export const SOLUTION_APP = lines('// app', 'const greeting = "hello, profiled";', 'const a = 1;', 'const b = 2;', 'const c = 3;', 'const d = 4;', 'export const port = 8080;');

export const CHEAT_APP = SOLUTION_APP.replace('// app', '// app\n// Cheat: the greeting is only renamed');

export function labJson(nn: string, title: string, ids: string[], extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify(
    {
      formatVersion: 1,
      title,
      level: 'beginner',
      duration: '2h',
      concepts: ['testing'],
      criteria: ids.map((id, index) => ({
        id: `${nn}.${id}`,
        level: index === ids.length - 1 && ids.length > 1 ? 'bonus' : 'required',
        text: `the ${id} works`,
        hints: [`first hint for ${id}`, `second hint for ${id}`],
      })),
      ...extra,
    },
    null,
    2,
  )}\n`;
}

export function createFixture(options: { commit?: boolean } = {}): Fixture {
  const root = mkdtempSync(join(tmpdir(), 'lab-engine-'));
  const repo = labRepo(root);
  const run = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const fixture: Fixture = {
    root,
    repo,
    lab: (number) => listLabs(repo).find((lab) => lab.number === number)!,
    write(path, text) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    },
    read: (path) => readFileSync(join(root, path), 'utf8'),
    remove: (path) => rmSync(join(root, path), { recursive: true, force: true }),
    git: run,
    commit(message) {
      run('add', '-A');
      run('commit', '-q', '--no-verify', '-m', message);
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  run('init', '-q', '-b', 'main');
  run('config', 'user.name', 'Lab Tests');
  run('config', 'user.email', 'lab-tests@example.com');
  run('config', 'commit.gpgsign', 'false');

  const w = fixture.write;
  w('.gitignore', 'node_modules/\nworkspace/\n.lab/\n');
  w('package.json', '{ "name": "fixture", "private": true }\n');
  // Baseline: four service files, plus what a tree leaves out.
  w('labs/00-baseline/README.md', '# Baseline\n');
  w('labs/00-baseline/test/baseline.test.ts', "it('works', () => {});\n");
  w('labs/00-baseline/web/node_modules/pkg/index.js', 'module.exports = 1;\n');
  w('labs/00-baseline/api/app.ts', BASE_APP);
  w('labs/00-baseline/api/server.ts', lines('import "./app.ts";', 'console.log("api ready");'));
  w('labs/00-baseline/optimizer/legacy.ts', lines('// the old optimizer', 'export const legacy = true;'));
  w('labs/00-baseline/bin/run.sh', lines('#!/bin/sh', 'node api/server.ts'));
  chmodSync(join(root, 'labs/00-baseline/bin/run.sh'), 0o755);

  // Lab 01: the starter replaces app.ts and deletes legacy.ts; the solution fixes app.ts and adds profile.ts.
  w('labs/01-first/README.md', '# Lab 01\n');
  w('labs/01-first/lab.json', labJson('01', 'First lab', ['alpha', 'beta', 'extra']));
  w('labs/01-first/test/first.test.ts', lines("it('01.alpha serves a profile', () => {});", "it('01.beta is fast', () => {});"));
  w('labs/01-first/starter/api/app.ts', STARTER_APP);
  w('labs/01-first/solution/api/app.ts', SOLUTION_APP);
  w('labs/01-first/solution/api/profile.ts', lines('export const profile = "pprof";'));
  w('labs/01-first/lock.json', `${JSON.stringify({ formatVersion: 1, starter: { 'optimizer/legacy.ts': { base: null, delete: true } }, solution: {} })}\n`);

  // Lab 02: the starter replaces server.ts and adds limit.ts; the solution replaces limit.ts.
  w('labs/02-second/README.md', '# Lab 02\n');
  w('labs/02-second/lab.json', labJson('02', 'Second lab', ['gamma']));
  w('labs/02-second/test/second.test.ts', lines("describe('02.gamma limits the rate', () => { it('answers 429', () => {}); });"));
  w('labs/02-second/starter/api/server.ts', lines('import "./app.ts";', 'import "./limit.ts";', 'console.log("api ready");'));
  w('labs/02-second/starter/api/limit.ts', lines('export const limit = 0; // TODO lab 02'));
  w('labs/02-second/solution/api/limit.ts', lines('export const limit = 10;'));

  // Cheats: each required criterion faked on its lab's solution.
  w('labs/01-first/cheats/01.alpha/api/profile.ts', lines('// Cheat: a constant that is no profile', 'export const profile = "";'));
  w('labs/01-first/cheats/01.beta/api/app.ts', CHEAT_APP);
  w('labs/02-second/cheats/02.gamma/api/bypass.ts', lines('// Cheat: a flag that turns the limit off', 'export const bypass = true;'));

  for (const lab of listLabs(repo)) lockLab(repo, lab);
  if (options.commit !== false) fixture.commit('fixture');
  return fixture;
}
