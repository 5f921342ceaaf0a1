// workspace/: the learner's copy of one lab tree. workspace/.lab-state.json records which lab
// and variant were written and the blob id of every file, so later edits are detected and
// never overwritten without --force or a green verify of the lab they belong to; whatever was
// there is backed up first.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { fileBlobId } from './blob.ts';
import type { Lab, Variant } from './catalog.ts';
import { UserError } from './errors.ts';
import { walkFiles } from './files.ts';
import { backupsDir, NEVER_IN_TREE, shown, STATE_FILE, workspaceDir, type LabRepo } from './paths.ts';
import { labTree, treeBlobIds, writeTree, type Tree } from './tree.ts';

export const WorkspaceStateSchema = z
  .strictObject({
    formatVersion: z.literal(1).describe('Version of this file format.'),
    lab: z.string().describe('Folder name of the lab written, e.g. "07-metrics-health".'),
    variant: z.enum(['starter', 'solution']).describe('Which tree of the lab was written.'),
    writtenAt: z.string().describe('ISO time of the write.'),
    files: z.record(z.string(), z.string()).describe('Tree-relative path → git blob id of the file as written.'),
  })
  .describe('What `npm run lab start|solution` wrote into workspace/.');

export type WorkspaceState = z.infer<typeof WorkspaceStateSchema>;

export interface WorkspaceChanges {
  /** workspace/ holds at least one file (the state file included). */
  hasContent: boolean;
  /** null when there is no readable state file: then every file counts as the learner's. */
  state: WorkspaceState | null;
  edited: string[];
  added: string[];
  deleted: string[];
}

const statePath = (repo: LabRepo) => join(workspaceDir(repo), STATE_FILE);

export function readWorkspaceState(repo: LabRepo): WorkspaceState | null {
  try {
    return WorkspaceStateSchema.parse(JSON.parse(readFileSync(statePath(repo), 'utf8')));
  } catch {
    return null;
  }
}

/** The files of workspace/ that belong to the service (not installed or built output). */
export function workspaceFiles(repo: LabRepo): string[] {
  return walkFiles(workspaceDir(repo), (name) => NEVER_IN_TREE.has(name)).filter((path) => path !== STATE_FILE);
}

export function workspaceChanges(repo: LabRepo): WorkspaceChanges {
  const dir = workspaceDir(repo);
  const hasContent = existsSync(dir) && readdirSync(dir).some((name) => name !== 'node_modules');
  const files = workspaceFiles(repo);
  const state = readWorkspaceState(repo);
  if (!state) return { hasContent, state, edited: [], added: files, deleted: [] };
  const present = new Set(files);
  const edited: string[] = [];
  const deleted: string[] = [];
  for (const [path, id] of Object.entries(state.files)) {
    if (!present.has(path)) deleted.push(path);
    else if (fileBlobId(join(dir, path)) !== id) edited.push(path);
  }
  const added = files.filter((path) => !(path in state.files));
  return { hasContent, state, edited: edited.sort(), added, deleted: deleted.sort() };
}

/** Files that overwriting would lose: edited ones and ones the learner created. */
export function atRisk(changes: WorkspaceChanges): string[] {
  return [...changes.edited, ...changes.added];
}

export interface StartResult {
  lab: Lab;
  variant: Variant;
  files: number;
  /** Absolute path of the backup folder, or null when workspace/ was empty. */
  backup: string | null;
  previous: WorkspaceState | null;
}

/** workspace/ holds lab N and lab N+1's starter is asked for. */
export interface MovingOn {
  from: Lab;
  /** Every required criterion of lab N passed at its last verify: its edits may go, after the backup. */
  passed: boolean;
}

export interface StartOptions {
  force?: boolean;
  now?: Date;
  movingOn?: MovingOn | null;
}

export function startCommand(lab: Lab, variant: Variant): string {
  return `npm run lab ${variant === 'starter' ? 'start' : 'solution'} ${lab.nn}`;
}

function describeRisk(repo: LabRepo, changes: WorkspaceChanges, lab: Lab, variant: Variant): string {
  const risky = atRisk(changes);
  const sample = risky.slice(0, 5).map((path) => (changes.added.includes(path) ? `${path} (new)` : path)).join(', ');
  const more = risky.length > 5 ? ` and ${risky.length - 5} more` : '';
  const whose = changes.state ? 'changed' : `not written by the lab tools (no ${shown(repo, statePath(repo))})`;
  return `${shown(repo, workspaceDir(repo))}/ has ${risky.length} file${risky.length === 1 ? '' : 's'} ${whose} that lab ${lab.nn} ${variant} would overwrite: ${sample}${more}`;
}

function refusal(repo: LabRepo, changes: WorkspaceChanges, lab: Lab, variant: Variant, movingOn: MovingOn | null | undefined): UserError {
  const backup = `a backup of workspace/ goes to ${shown(repo, backupsDir(repo))}/`;
  if (!movingOn) return new UserError(describeRisk(repo, changes, lab, variant), `${startCommand(lab, variant)} -- --force (${backup})`);
  const { from } = movingOn;
  return new UserError(
    `${describeRisk(repo, changes, lab, variant)}, and lab ${from.nn} has not passed npm run verify lab-${from.nn} yet`,
    `${startCommand(lab, variant)} -- --carry (merges lab ${lab.nn}'s starter into your code) or -- --force (starts from lab ${from.nn}'s solution; ${backup})`,
  );
}

/** Copies workspace/ (minus node_modules) to .lab/backups/<ISO time>/ and returns that folder. */
export function backupWorkspace(repo: LabRepo, now: Date): string {
  // Colons are not allowed in file names on Windows and confuse macOS Finder.
  const stamp = now.toISOString().replace(/:/g, '-');
  let target = join(backupsDir(repo), stamp);
  for (let n = 1; existsSync(target); n++) target = join(backupsDir(repo), `${stamp}-${n}`);
  mkdirSync(target, { recursive: true });
  cpSync(workspaceDir(repo), target, { recursive: true, filter: (source) => basename(source) !== 'node_modules' });
  return target;
}

/** Empties workspace/ except its node_modules, which are installed content the learner may want kept. */
function clearWorkspace(repo: LabRepo): void {
  const dir = workspaceDir(repo);
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (name !== 'node_modules') rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** Records `tree` as what workspace/ was written from: files that differ from it count as edits. */
export function writeWorkspaceState(repo: LabRepo, lab: Lab, variant: Variant, tree: Tree, now: Date): void {
  const state: WorkspaceState = {
    formatVersion: 1,
    lab: lab.name,
    variant,
    writtenAt: now.toISOString(),
    files: Object.fromEntries(treeBlobIds(tree)),
  };
  writeFileSync(statePath(repo), `${JSON.stringify(state, null, 2)}\n`);
}

/** `npm run lab start N` / `npm run lab solution N`. */
export function startWorkspace(repo: LabRepo, lab: Lab, variant: Variant, options: StartOptions = {}): StartResult {
  const now = options.now ?? new Date();
  // Build the tree first: a broken lab must fail before workspace/ is touched.
  const tree = labTree(repo, lab, variant);
  const changes = workspaceChanges(repo);
  if (atRisk(changes).length > 0 && !options.force && !options.movingOn?.passed) {
    throw refusal(repo, changes, lab, variant, options.movingOn);
  }
  const backup = changes.hasContent ? backupWorkspace(repo, now) : null;
  clearWorkspace(repo);
  const dir = workspaceDir(repo);
  mkdirSync(dir, { recursive: true });
  writeTree(tree, dir);
  writeWorkspaceState(repo, lab, variant, tree, now);
  return { lab, variant, files: tree.size, backup, previous: changes.state };
}

/** Throws the learner's next step when workspace/ has nothing to verify. */
export function assertWorkspaceReady(repo: LabRepo, lab: Lab): void {
  if (workspaceFiles(repo).length === 0) {
    throw new UserError(`${shown(repo, workspaceDir(repo))}/ is empty: there is no lab to verify yet`, `npm run lab start ${lab.nn}`);
  }
}
