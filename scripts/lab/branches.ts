// `npm run lab branches`: real branches lab-NN-starter / lab-NN-solution for workshops, as one
// linear history on top of HEAD (starter 01 ← solution 01 ← starter 02 ← …). Each commit's tree
// is HEAD's tree cut down to what a learner may see at that point (no cheats, no later lab, and
// on a starter neither the solution nor the debrief of its lab), plus workspace/ = that lab tree
// tracked with its .lab-state.json, a .gitignore that lets git status show workspace/, and
// .lab-branch.json saying what the branch carries, so the lab tools on it can say what it lacks.
// Built with plumbing only: objects are written to the object database and a temporary index,
// so the working tree and the real index are never touched.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { CHEATS_FOLDER } from './cheats.ts';
import { LAB_FOLDER, listLabs, type Lab, type Variant } from './catalog.ts';
import { UserError } from './errors.ts';
import { git, runGit, splitNul } from './git.ts';
import { loadLabMeta } from './lab-meta.ts';
import { shown, STATE_FILE, type LabRepo } from './paths.ts';
import { walkChain, type ChainStep, type Tree } from './tree.ts';
import type { WorkspaceState } from './workspace.ts';

export interface BranchResult {
  name: string;
  lab: Lab;
  variant: Variant;
  commit: string;
  status: 'created' | 'updated' | 'unchanged';
}

export const branchName = (lab: Lab, variant: Variant) => `lab-${lab.nn}-${variant}`;

const LAB_BRANCH = /^refs\/heads\/lab-\d{2}-(starter|solution)$/;
/** At the root of every generated branch: what it carries, for the lab tools run on it. */
export const BRANCH_FILE = '.lab-branch.json';
/** A lab's answers in prose (lab-standard.md §3): left off the lab's starter branch. */
const DEBRIEF = 'DEBRIEF.md';

const BranchFileSchema = z
  .strictObject({
    formatVersion: z.literal(1),
    branch: z.string().describe('The branch this commit was generated as, e.g. "lab-01-starter".'),
    lab: z.string().describe('Folder name of the lab whose tree workspace/ holds.'),
    variant: z.enum(['starter', 'solution']),
    from: z.string().describe('The main-line commit the branch was generated from.'),
    labs: z.array(z.string()).describe('Every lab of that commit, so a lab left off is named rather than unknown.'),
  })
  .describe('What a workshop branch carries (written by npm run lab branches).');

export type BranchFile = z.infer<typeof BranchFileSchema>;

/** True when HEAD's path stays off the branch of `lab`'s `variant`; `labs` is the labs folder, repo-relative. */
export function leftOut(path: string, labs: string, lab: Lab, variant: Variant): boolean {
  if (!path.startsWith(`${labs}/`)) return false;
  const [folder, part] = path.slice(labs.length + 1).split('/');
  const match = LAB_FOLDER.exec(folder!);
  if (!match || match[1] === '00') return false;
  const number = Number(match[1]);
  if (part === CHEATS_FOLDER || number > lab.number) return true;
  return number === lab.number && variant === 'starter' && (part === 'solution' || part === DEBRIEF);
}

/** HEAD's .gitignore for a branch: there workspace/ is tracked, and only its installed and built output stays ignored. */
export function branchGitignore(text: string): string {
  return text
    .split('\n')
    .map((line) => (/^\/?workspace(\/\**)?$/.test(line.trim()) ? '# workspace/ is yours on a lab branch: git status shows the files you add there' : line))
    .join('\n');
}

function assertCanBuild(repo: LabRepo): void {
  const head = runGit(repo.root, ['symbolic-ref', '-q', 'HEAD'], { okCodes: [1] }).stdout.toString().trim();
  const mainLine = 'git switch main (or your working branch), then run npm run lab branches';
  if (LAB_BRANCH.test(head)) {
    throw new UserError(`HEAD is ${head.replace('refs/heads/', '')}, a generated lab branch: the branches are built on top of your main line`, mainLine);
  }
  if (runGit(repo.root, ['rev-parse', '-q', '--verify', 'HEAD^{commit}'], { okCodes: [1] }).status !== 0) {
    throw new UserError('this repository has no commit yet: the branches are built on top of HEAD', 'commit first, then run npm run lab branches');
  }
  // A branch made from a workshop branch (a learner's own, say) lacks the answers to build from.
  if (runGit(repo.root, ['cat-file', '-e', `HEAD:${BRANCH_FILE}`], { okCodes: [128] }).status === 0) {
    throw new UserError(`HEAD has ${BRANCH_FILE}: it comes from a generated lab branch, which carries no answers to build from`, mainLine);
  }
  // Lab trees are read from disk: uncommitted lab changes would make branches that match no commit.
  const dirty = git(repo.root, ['status', '--porcelain', '--', shown(repo, repo.labsDir)]);
  if (dirty !== '') {
    throw new UserError(
      `${shown(repo, repo.labsDir)}/ has uncommitted changes: the branches would not match HEAD`,
      'commit or stash them, then run npm run lab branches',
    );
  }
}

/** Writes every source file of the trees as a blob, with one git process; returns source → blob id. */
function writeBlobs(repo: LabRepo, trees: Tree[]): Map<string, string> {
  const sources = [...new Set(trees.flatMap((tree) => [...tree.values()].map((file) => file.source)))];
  // --no-filters: the blob is the file's bytes, as the lock ids are (no CRLF or attribute filters).
  const ids = git(repo.root, ['hash-object', '-w', '--no-filters', '--stdin-paths'], { input: `${sources.join('\n')}\n` }).split('\n');
  if (ids.length !== sources.length) throw new Error(`git hash-object returned ${ids.length} ids for ${sources.length} files`);
  return new Map(sources.map((source, index) => [source, ids[index]!]));
}

const writeTextBlob = (repo: LabRepo, text: string) => git(repo.root, ['hash-object', '-w', '--no-filters', '--stdin'], { input: text });

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

interface Build {
  repo: LabRepo;
  head: string;
  headTree: string;
  /** HEAD's commit time as an ISO string: the branches' .lab-state.json says workspace/ was written then. */
  writtenAt: string;
  labNames: string[];
  /** Repo-relative path → blob id of the files every branch commit gets in place of HEAD's. */
  shared: Map<string, string>;
  blobs: Map<string, string>;
  indexFile: string;
}

/** The tree of one branch commit, written through a temporary index. */
function writeCommitTree(build: Build, step: ChainStep, name: string): string {
  const { repo, blobs } = build;
  const env = { GIT_INDEX_FILE: build.indexFile };
  git(repo.root, ['read-tree', build.headTree], { env });
  const labs = shown(repo, repo.labsDir);
  const dropped = splitNul(runGit(repo.root, ['ls-files', '-z', '--cached'], { env }).stdout).filter(
    (path) => path.startsWith('workspace/') || leftOut(path, labs, step.lab, step.variant),
  );
  const state: WorkspaceState = {
    formatVersion: 1,
    lab: step.lab.name,
    variant: step.variant,
    writtenAt: build.writtenAt,
    files: Object.fromEntries([...step.after].map(([path, file]) => [path, blobs.get(file.source)!])),
  };
  const branch: BranchFile = { formatVersion: 1, branch: name, lab: step.lab.name, variant: step.variant, from: build.head, labs: build.labNames };
  const added = new Map([
    ...build.shared,
    [BRANCH_FILE, writeTextBlob(repo, json(branch))],
    [`workspace/${STATE_FILE}`, writeTextBlob(repo, json(state))],
  ]);
  // Mode 0 removes an entry; then the lab tree goes in under workspace/, and the branch's own files.
  const lines = [
    ...dropped.map((path) => `0 ${'0'.repeat(40)}\t${path}`),
    ...[...step.after].map(([path, file]) => `${file.executable ? '100755' : '100644'} ${blobs.get(file.source)}\tworkspace/${path}`),
    ...[...added].map(([path, id]) => `100644 ${id}\t${path}`),
  ];
  git(repo.root, ['update-index', '-z', '--index-info'], { env, input: lines.map((line) => `${line}\0`).join('') });
  return git(repo.root, ['write-tree'], { env });
}

/** HEAD's .gitignore without its workspace/ line, when it has one. */
function sharedFiles(repo: LabRepo): Map<string, string> {
  const ignore = runGit(repo.root, ['cat-file', 'blob', 'HEAD:.gitignore'], { okCodes: [128] });
  if (ignore.status !== 0) return new Map();
  const text = ignore.stdout.toString();
  const branchText = branchGitignore(text);
  return branchText === text ? new Map() : new Map([['.gitignore', writeTextBlob(repo, branchText)]]);
}

export function buildBranches(repo: LabRepo): BranchResult[] {
  assertCanBuild(repo);
  const head = git(repo.root, ['rev-parse', 'HEAD']);
  // Commits carry HEAD's date, so building again from the same HEAD gives the same commit ids
  // and an unchanged branch is not rewritten (nor force-pushed for nothing).
  const date = git(repo.root, ['log', '-1', '--format=%ct %cz', 'HEAD']);
  const env = { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
  const steps = [...walkChain(repo)];
  if (steps.length === 0) throw new UserError(`there are no labs under ${shown(repo, repo.labsDir)}/ to make branches of`);
  const labs = listLabs(repo);
  const titles = new Map(labs.map((lab) => [lab.name, loadLabMeta(repo, lab).title]));
  const tmp = mkdtempSync(join(tmpdir(), 'lab-branches-'));
  const build: Build = {
    repo,
    head,
    headTree: git(repo.root, ['rev-parse', 'HEAD^{tree}']),
    writtenAt: new Date(Number(date.split(' ')[0]) * 1000).toISOString(),
    labNames: labs.map((lab) => lab.name),
    shared: sharedFiles(repo),
    blobs: writeBlobs(repo, steps.map((step) => step.after)),
    indexFile: join(tmp, 'index'),
  };
  const results: BranchResult[] = [];
  try {
    let parent = head;
    for (const step of steps) {
      const name = branchName(step.lab, step.variant);
      const tree = writeCommitTree(build, step, name);
      const without = step.variant === 'starter' ? `lab ${step.lab.nn}'s solution and debrief, the labs after it and the cheats` : 'the labs after it and the cheats';
      const message = `lab ${step.lab.nn} ${step.variant}: ${titles.get(step.lab.name)}\n\nworkspace/ holds ${step.variant}(${step.lab.nn}); ${without} are left out.\nGenerated by npm run lab branches from ${head.slice(0, 12)}.\n`;
      const commit = commitTree(repo, tree, parent, message, env);
      const ref = `refs/heads/${name}`;
      const old = runGit(repo.root, ['rev-parse', '-q', '--verify', ref], { okCodes: [1] }).stdout.toString().trim();
      if (old !== commit) git(repo.root, ['update-ref', '-m', 'npm run lab branches', ref, commit]);
      results.push({ name, lab: step.lab, variant: step.variant, commit, status: old === '' ? 'created' : old === commit ? 'unchanged' : 'updated' });
      parent = commit;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return results;
}

function commitTree(repo: LabRepo, tree: string, parent: string, message: string, env: Record<string, string>): string {
  const result = runGit(repo.root, ['commit-tree', tree, '-p', parent, '-F', '-'], { env, input: message, okCodes: [128] });
  if (result.status !== 0) {
    if (/identity|user\.email|user\.name/i.test(result.stderr)) {
      throw new UserError('git does not know who you are, so it cannot write commits', 'git config user.name "Your Name" && git config user.email you@example.com');
    }
    throw new Error(`git commit-tree failed: ${result.stderr.trim()}`);
  }
  return result.stdout.toString().trim();
}

/** What the checked-out workshop branch carries; null off the generated branches. */
export function readBranchFile(repo: LabRepo): BranchFile | null {
  const path = join(repo.root, BRANCH_FILE);
  if (!existsSync(path)) return null;
  try {
    return BranchFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    throw new UserError(`${BRANCH_FILE} is not what npm run lab branches wrote`, `git checkout -- ${BRANCH_FILE}`);
  }
}

/** Whether a lab reference, spelled as resolveLab accepts it, names the lab folder `name`. */
function refersTo(ref: string, name: string): boolean {
  const [, nn, slug] = LAB_FOLDER.exec(name) ?? [];
  const wanted = ref.trim().toLowerCase().replace(/^lab-?/, '');
  const numeric = /^(\d{1,2})(?:-.*)?$/.exec(wanted);
  return numeric ? Number(numeric[1]) === Number(nn) && (wanted === numeric[1] || wanted === name) : wanted === slug;
}

/**
 * On a workshop branch, refuses in one line a lab tree it was generated without (a later lab,
 * or on a starter branch its own lab's answers) and names the branch that has it.
 */
export function assertBranchCarries(repo: LabRepo, ref: string | undefined, needs: Variant): void {
  const branch = ref === undefined ? null : readBranchFile(repo);
  const wanted = branch?.labs.find((name) => refersTo(ref!, name));
  if (!branch || !wanted) return;
  const [nn, here] = [wanted.slice(0, 2), branch.lab.slice(0, 2)];
  const missing = Number(nn) > Number(here) ? `lab ${nn}` : nn === here && needs === 'solution' && branch.variant === 'starter' ? `lab ${nn}'s answers (its solution and debrief)` : null;
  if (missing) throw new UserError(`this branch (${branch.branch}) does not carry ${missing}`, `git switch lab-${nn}-${needs}`);
}
