// `npm run lab branches`: real branches lab-NN-starter / lab-NN-solution for workshops, as one
// linear history on top of HEAD (starter 01 ← solution 01 ← starter 02 ← …). Each commit's tree
// is HEAD's tree, without the cheats, plus workspace/ = that lab tree, so a learner checks a branch out and works in
// workspace/ as usual. Built with plumbing only: objects are written to the object database and
// a temporary index, so the working tree and the real index are never touched.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHEATS_FOLDER } from './cheats.ts';
import { listLabs, type Lab, type Variant } from './catalog.ts';
import { UserError } from './errors.ts';
import { git, runGit, splitNul } from './git.ts';
import { loadLabMeta } from './lab-meta.ts';
import { shown, type LabRepo } from './paths.ts';
import { walkChain, type Tree } from './tree.ts';

export interface BranchResult {
  name: string;
  lab: Lab;
  variant: Variant;
  commit: string;
  status: 'created' | 'updated' | 'unchanged';
}

export const branchName = (lab: Lab, variant: Variant) => `lab-${lab.nn}-${variant}`;

const LAB_BRANCH = /^refs\/heads\/lab-\d{2}-(starter|solution)$/;

function assertCanBuild(repo: LabRepo): void {
  const head = runGit(repo.root, ['symbolic-ref', '-q', 'HEAD'], { okCodes: [1] }).stdout.toString().trim();
  if (LAB_BRANCH.test(head)) {
    throw new UserError(
      `HEAD is ${head.replace('refs/heads/', '')}, a generated lab branch: the branches are built on top of your main line`,
      'git switch main (or your working branch), then run npm run lab branches',
    );
  }
  if (runGit(repo.root, ['rev-parse', '-q', '--verify', 'HEAD^{commit}'], { okCodes: [1] }).status !== 0) {
    throw new UserError('this repository has no commit yet: the branches are built on top of HEAD', 'commit first, then run npm run lab branches');
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

/** HEAD's tree with workspace/ replaced by `tree` and no cheat, written through a temporary index. */
function writeCommitTree(repo: LabRepo, headTree: string, tree: Tree, blobs: Map<string, string>, indexFile: string): string {
  const env = { GIT_INDEX_FILE: indexFile };
  git(repo.root, ['read-tree', headTree], { env });
  // Cheats fake the criteria: they are the maintainers' proof, not material for a room of learners.
  const cheats = `:(glob)${shown(repo, repo.labsDir)}/*/${CHEATS_FOLDER}/**`;
  const existing = splitNul(runGit(repo.root, ['ls-files', '-z', '--cached', '--', 'workspace', cheats], { env }).stdout);
  // Mode 0 removes an entry; then every file of the lab tree goes in under workspace/.
  const lines = [
    ...existing.map((path) => `0 ${'0'.repeat(40)}\t${path}`),
    ...[...tree].map(([path, file]) => `${file.executable ? '100755' : '100644'} ${blobs.get(file.source)}\tworkspace/${path}`),
  ];
  git(repo.root, ['update-index', '-z', '--index-info'], { env, input: lines.map((line) => `${line}\0`).join('') });
  return git(repo.root, ['write-tree'], { env });
}

export function buildBranches(repo: LabRepo): BranchResult[] {
  assertCanBuild(repo);
  const head = git(repo.root, ['rev-parse', 'HEAD']);
  const headTree = git(repo.root, ['rev-parse', 'HEAD^{tree}']);
  // Commits carry HEAD's date, so building again from the same HEAD gives the same commit ids
  // and an unchanged branch is not rewritten (nor force-pushed for nothing).
  const date = git(repo.root, ['log', '-1', '--format=%ct %cz', 'HEAD']);
  const env = { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
  const steps = [...walkChain(repo)];
  if (steps.length === 0) throw new UserError(`there are no labs under ${shown(repo, repo.labsDir)}/ to make branches of`);
  const blobs = writeBlobs(repo, steps.map((step) => step.after));
  const titles = new Map(listLabs(repo).map((lab) => [lab.name, loadLabMeta(repo, lab).title]));
  const tmp = mkdtempSync(join(tmpdir(), 'lab-branches-'));
  const results: BranchResult[] = [];
  try {
    let parent = head;
    for (const step of steps) {
      const tree = writeCommitTree(repo, headTree, step.after, blobs, join(tmp, 'index'));
      const message = `lab ${step.lab.nn} ${step.variant}: ${titles.get(step.lab.name)}\n\nworkspace/ holds ${step.variant}(${step.lab.nn}); generated by npm run lab branches from ${head.slice(0, 12)}.\n`;
      const commit = commitTree(repo, tree, parent, message, env);
      const name = branchName(step.lab, step.variant);
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
