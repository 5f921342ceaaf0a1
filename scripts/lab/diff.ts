// `npm run lab diff N`: what lab N changes, as a unified diff starter(N) → solution(N), made by
// `git diff --no-index` on two materialized temp folders. Whitespace-only changes are noise
// for a learner and are hidden unless asked for.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Lab } from './catalog.ts';
import { runGit } from './git.ts';
import { workspaceDir, type LabRepo } from './paths.ts';
import { labTree, materialize } from './tree.ts';
import { assertWorkspaceReady, workspaceFiles } from './workspace.ts';

export interface DiffOptions {
  /** Keep whitespace-only changes (hidden by default). */
  whitespace?: boolean;
  /** A diffstat instead of the patch. */
  stat?: boolean;
  color?: boolean;
  /** Compare the learner's workspace/ with solution(N) instead of starter(N). */
  workspace?: boolean;
}

export interface DiffResult {
  /** The diff (or diffstat); empty when the two trees are the same. */
  text: string;
  /** Files left out because their only changes are whitespace. */
  whitespaceOnly: string[];
}

export function labDiff(repo: LabRepo, lab: Lab, options: DiffOptions = {}): DiffResult {
  const tmp = mkdtempSync(join(tmpdir(), `lab-diff-${lab.nn}-`));
  try {
    const from = options.workspace ? 'workspace' : 'starter';
    if (options.workspace) copyWorkspace(repo, lab, join(tmp, from));
    else materialize(labTree(repo, lab, 'starter'), join(tmp, from));
    materialize(labTree(repo, lab, 'solution'), join(tmp, 'solution'));
    // Exit code 1 only means "the folders differ".
    const diff = (...args: string[]) =>
      runGit(tmp, ['-c', 'core.quotePath=false', 'diff', '--no-index', '--no-prefix', ...args, from, 'solution'], { okCodes: [1] }).stdout.toString();
    const ignoreWhitespace = ['--ignore-all-space', '--ignore-blank-lines'];
    const args = [`--color=${options.color ? 'always' : 'never'}`, ...(options.whitespace ? [] : ignoreWhitespace), ...(options.stat ? ['--stat'] : [])];
    const text = diff(...args);
    if (options.whitespace) return { text, whitespaceOnly: [] };
    // --name-only lists a file whatever -w says; the patch leaves whitespace-only files out entirely.
    const patched = new Set(
      diff('--color=never', ...ignoreWhitespace)
        .split('\n')
        .flatMap((line) => /^diff --git (?:starter|workspace|solution)\/.* (?:starter|workspace|solution)\/(.*)$/.exec(line)?.[1] ?? []),
    );
    const changed = diff('--name-only').split('\n').filter(Boolean).map((name) => name.slice(name.indexOf('/') + 1));
    const whitespaceOnly = changed.filter((name) => !patched.has(name));
    return { text, whitespaceOnly };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The learner's files only: no state file, no node_modules or build output. */
function copyWorkspace(repo: LabRepo, lab: Lab, target: string): void {
  assertWorkspaceReady(repo, lab);
  mkdirSync(target, { recursive: true });
  for (const path of workspaceFiles(repo)) {
    mkdirSync(dirname(join(target, path)), { recursive: true });
    copyFileSync(join(workspaceDir(repo), path), join(target, path));
  }
}
