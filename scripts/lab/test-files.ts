// A lab's tests: the vitest files under labs/NN-slug/test/, and which criterion ids they name.
// Titles start with the id ("07.ready answers 503 …"), so a string literal that starts with an
// id is how a test file is found to cover a criterion without running it.
import { join } from 'node:path';
import type { Lab } from './catalog.ts';
import { walkFiles } from './files.ts';

// The same files the root vitest.config.ts includes (labs/*/test/**/*.test.ts).
const TEST_FILE = /\.test\.ts$/;

/** Absolute paths of the test files under `dir`, sorted. */
export function testFilesIn(dir: string): string[] {
  return walkFiles(dir, (name) => name === 'node_modules')
    .filter((path) => TEST_FILE.test(path))
    .map((path) => join(dir, path));
}

/** Absolute paths of the lab's test files, sorted. */
export function labTestFiles(lab: Lab): string[] {
  return testFilesIn(join(lab.dir, 'test'));
}

/** Criterion-shaped ids that open a string literal in the source ('…', "…" or `…`). */
export function idsInSource(source: string): Set<string> {
  const ids = new Set<string>();
  for (const match of source.matchAll(/['"`](\d{2}\.[a-z0-9]+(?:-[a-z0-9]+)*)(?![a-z0-9-])/g)) ids.add(match[1]!);
  return ids;
}

/** The criterion id a test title starts with, if any. */
export function leadingId(title: string): string | null {
  const match = /^\s*(\d{2}\.[a-z0-9]+(?:-[a-z0-9]+)*)(?![a-z0-9-])/.exec(title);
  return match ? match[1]! : null;
}
