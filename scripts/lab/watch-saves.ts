// Pure parts of `npm run verify lab-NN -- --watch`: which changes in workspace/ are saves of
// the service, how a burst of them becomes one rerun, and which criteria -t selects.
import { UserError } from './errors.ts';
import type { LabMeta } from './lab-meta.ts';
import { isNeverInTree, STATE_FILE } from './paths.ts';

// Editors write these beside the file they save (vim's swap and 4913 probe, emacs' lock, backups).
const EDITOR_DEBRIS = [/\.sw[a-p]x?$/, /~$/, /(^|\/)\.#/, /(^|\/)4913$/, /(^|\/)#[^/]*#$/];

/** True when a change at this workspace-relative path (forward slashes) should rerun the tests. */
export function isServiceChange(path: string): boolean {
  if (path === '' || path === STATE_FILE) return false;
  if (isNeverInTree(path)) return false;
  return !EDITOR_DEBRIS.some((pattern) => pattern.test(path));
}

export interface SaveBatch {
  paths: string[];
  /** performance.now() of the first change in the batch: what the rerun latency is measured from. */
  firstAt: number;
}

export interface Batcher {
  add(path: string): void;
  close(): void;
}

/**
 * Turns a burst of changes (an editor writes a temp file, renames it, touches the folder) into
 * one batch: flushed once no change came for `quietMs`, and at most `maxWaitMs` after the first.
 */
export function saveBatcher(onBatch: (batch: SaveBatch) => void, quietMs = 50, maxWaitMs = 300, now = () => performance.now()): Batcher {
  let paths = new Set<string>();
  let firstAt = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const batch = { paths: [...paths], firstAt };
    paths = new Set();
    onBatch(batch);
  };
  return {
    add(path) {
      if (paths.size === 0) firstAt = now();
      paths.add(path);
      clearTimeout(timer);
      timer = setTimeout(flush, Math.max(0, Math.min(quietMs, firstAt + maxWaitMs - now())));
    },
    close() {
      clearTimeout(timer);
    },
  };
}

/** The criterion ids of `-t a -t b,c`, each checked against lab.json; [] means all of them. */
export function selectedCriteria(values: readonly string[], meta: LabMeta, nn: string): string[] {
  const ids = [...new Set(values.flatMap((value) => value.split(',')).map((id) => id.trim()).filter((id) => id !== ''))];
  const known = new Set(meta.criteria.map((criterion) => criterion.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new UserError(`lab ${nn} has no criterion ${unknown.join(', ')}`, `use its ids: ${[...known].join(', ')}`);
  }
  return ids;
}

/** vitest's -t pattern for tests of these criteria: titles start with the id, whole word. */
export function criteriaPattern(ids: readonly string[]): string {
  const escaped = ids.map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return `(^| )(${escaped.join('|')})( |$)`;
}
