// Where things live. Every engine function takes a LabRepo so tests can point it at a
// temporary repository; only the CLI entry points derive it from their own location.
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

export interface LabRepo {
  /** Absolute path of the repository root (where .git and package.json are). */
  root: string;
  /** Absolute path of the labs folder (normally <root>/labs). */
  labsDir: string;
}

export function labRepo(root: string, labsDir = join(root, 'labs')): LabRepo {
  return { root: resolve(root), labsDir: resolve(root, labsDir) };
}

/**
 * The repository this script belongs to (scripts/lab/ → two levels up). LAB_ROOT points the
 * CLIs at another checkout instead: their tests drive them on a temporary repository.
 */
export function defaultRepo(): LabRepo {
  return labRepo(process.env.LAB_ROOT || resolve(import.meta.dirname, '../..'));
}

export const BASELINE_FOLDER = '00-baseline';
/** Entries at the top of labs/00-baseline that document or test it and are not service code. */
export const BASELINE_NON_TREE = new Set(['README.md', 'lab.json', 'test']);
/** Folder names that never belong to a tree, at any depth: installed or built output. */
export const NEVER_IN_TREE = new Set(['node_modules', 'dist']);
export const STATE_FILE = '.lab-state.json';

export const baselineDir = (repo: LabRepo) => join(repo.labsDir, BASELINE_FOLDER);
/** The learner's working copy (git-ignored). */
export const workspaceDir = (repo: LabRepo) => join(repo.root, 'workspace');
/** Local, git-ignored state of the lab tools: progress, backups, materialized trees. */
export const localDir = (repo: LabRepo) => join(repo.root, '.lab');
export const progressFile = (repo: LabRepo) => join(localDir(repo), 'progress.json');
export const backupsDir = (repo: LabRepo) => join(localDir(repo), 'backups');
export const treesDir = (repo: LabRepo) => join(localDir(repo), 'trees');
/** The learner's lab reports: at the root, outside workspace/, so no lab command replaces them. */
export const reportsDir = (repo: LabRepo) => join(repo.root, 'reports');
export const checklistFile = (repo: LabRepo) => join(repo.root, 'CHECKLIST.md');
export const schemaFile = (repo: LabRepo) => join(repo.labsDir, 'lab.schema.json');

/** A path as the user should read it: relative to the repository root, with forward slashes. */
export function shown(repo: LabRepo, path: string): string {
  const rel = relative(repo.root, path);
  if (rel === '') return '.';
  if (rel.startsWith('..') || isAbsolute(rel)) return path;
  return rel.split(sep).join('/');
}

/** True when a tree-relative path goes through a folder that never belongs to a tree. */
export function isNeverInTree(treePath: string): boolean {
  return treePath.split('/').some((part) => NEVER_IN_TREE.has(part));
}
