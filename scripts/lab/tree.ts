// Trees and the overlay chain. A tree is a full runnable service folder, kept in memory as
// tree-relative path → source file on disk. The chain is
//   baseline → starter 01 → solution 01 → starter 02 → … → solution N
// so starter(N) = solution(N-1) + starter overlay N and solution(N) = starter(N) + solution overlay N.
import { chmodSync, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileBlobId, type BlobId } from './blob.ts';
import { readCheats, readCheatsNamed } from './cheats.ts';
import { listLabs, VARIANTS, type Lab, type Variant } from './catalog.ts';
import { UserError } from './errors.ts';
import { isExecutable, listLabFiles } from './files.ts';
import { cheatIdOf, readLockFile, type Slot } from './lock-file.ts';
import { assertOverlayClean, readOverlay, type Overlay } from './overlay.ts';
import { BASELINE_NON_TREE, baselineDir, shown, type LabRepo } from './paths.ts';

export interface TreeFile {
  /** Absolute path of the file whose bytes this tree holds at that path. */
  source: string;
  executable: boolean;
}

export type Tree = Map<string, TreeFile>;

export function baselineTree(repo: LabRepo): Tree {
  const dir = baselineDir(repo);
  const files = listLabFiles(repo, dir).filter((path) => !BASELINE_NON_TREE.has(path.split('/')[0]!));
  if (files.length === 0) {
    throw new UserError(`${shown(repo, dir)} has no service files: the baseline tree is empty`, 'restore it with git checkout -- labs/00-baseline');
  }
  return new Map(files.map((path) => {
    const source = join(dir, path);
    return [path, { source, executable: isExecutable(source) }];
  }));
}

export function applyOverlay(tree: Tree, overlay: Overlay): Tree {
  const next: Tree = new Map(tree);
  for (const [path, entry] of Object.entries(overlay.lock)) if (entry.delete) next.delete(path);
  for (const path of overlay.files) {
    const source = join(overlay.dir, path);
    next.set(path, { source, executable: isExecutable(source) });
  }
  return new Map([...next].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface OverlayStep {
  lab: Lab;
  variant: Slot;
  overlay: Overlay;
  /** The tree the overlay is applied on (what its locks refer to). */
  before: Tree;
  after: Tree;
}

export interface ChainStep extends OverlayStep {
  variant: Variant;
}

export interface WalkOptions {
  /** Stop after this lab's overlay of this variant (default: walk every lab). */
  until?: { lab: Lab; variant: Variant };
  /**
   * Refuse overlays with stray files or broken entries (default true). Lock checks walk with
   * false so that they can report every problem instead of the first.
   */
  strict?: boolean;
}

export function* walkChain(repo: LabRepo, options: WalkOptions = {}): Generator<ChainStep> {
  const { until, strict = true } = options;
  let tree = baselineTree(repo);
  for (const lab of listLabs(repo)) {
    const lock = readLockFile(repo, lab);
    for (const variant of VARIANTS) {
      const overlay = readOverlay(repo, lab, variant, lock);
      if (strict) assertOverlayClean(repo, overlay);
      const after = applyOverlay(tree, overlay);
      yield { lab, variant, overlay, before: tree, after };
      tree = after;
      if (until && until.lab.name === lab.name && until.variant === variant) return;
    }
  }
}

/**
 * Every overlay in chain order, each lab's cheats right after its solution (applied on it,
 * not carried on): what lock checks and `lab lock` walk.
 */
export function* walkOverlays(repo: LabRepo, options: WalkOptions = {}): Generator<OverlayStep> {
  for (const step of walkChain(repo, options)) {
    yield step;
    if (step.variant !== 'solution') continue;
    for (const overlay of readCheats(repo, step.lab)) {
      if (options.strict !== false) assertOverlayClean(repo, overlay);
      yield { lab: step.lab, variant: overlay.variant, overlay, before: step.after, after: applyOverlay(step.after, overlay) };
    }
  }
}

function stepOf(repo: LabRepo, lab: Lab, variant: Variant, strict = true): ChainStep {
  for (const step of walkChain(repo, { until: { lab, variant }, strict })) {
    if (step.lab.name === lab.name && step.variant === variant) return step;
  }
  throw new UserError(`${shown(repo, lab.dir)} is not a lab folder under ${shown(repo, repo.labsDir)}`);
}

/** starter(N) or solution(N). */
export function labTree(repo: LabRepo, lab: Lab, variant: Variant, strict = true): Tree {
  return stepOf(repo, lab, variant, strict).after;
}

/** solution(N) with one cheat applied, the cheat given by its name. */
export function cheatTree(repo: LabRepo, lab: Lab, name: string): Tree {
  const cheats = readCheatsNamed(repo, lab, name);
  if (cheats.length > 1) throw new UserError(`${name} has ${cheats.length} cheats`, `name one: ${cheats.map((cheat) => cheatIdOf(cheat.variant)).join(', ')}`);
  assertOverlayClean(repo, cheats[0]!);
  return applyOverlay(labTree(repo, lab, 'solution'), cheats[0]!);
}

/** The tree lab N's overlay of this variant is applied on: solution(N-1) (or the baseline), or starter(N). */
export function upstreamTree(repo: LabRepo, lab: Lab, variant: Variant, strict = true): Tree {
  return stepOf(repo, lab, variant, strict).before;
}

export function treeBlobIds(tree: Tree): Map<string, BlobId> {
  return new Map([...tree].map(([path, file]) => [path, fileBlobId(file.source)]));
}

export function blobAt(tree: Tree, path: string): BlobId | null {
  const file = tree.get(path);
  return file ? fileBlobId(file.source) : null;
}

/** Writes the tree's files into `dir` (which may already hold other files). */
export function writeTree(tree: Tree, dir: string): void {
  for (const [path, file] of tree) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file.source, target);
    chmodSync(target, file.executable ? 0o755 : 0o644);
  }
}

/** Replaces `dir` with exactly the tree: used for .lab/trees/, temp dirs and CI. */
export function materialize(tree: Tree, dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeTree(tree, dir);
}

