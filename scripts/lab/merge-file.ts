// Three-way merge of one file with `git merge-file --diff3`: what `lab rebase` does to overlay
// files and `lab start -- --carry` to the learner's. Conflicts stay in the file between markers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGit } from './git.ts';

export interface MergeLabels {
  ours: string;
  base: string;
  theirs: string;
}

export const hasConflictMarkers = (text: string) => /^<{7} /m.test(text) && /^>{7} /m.test(text);

/**
 * Merges into `target` (ours) in place. Returns the number of conflicts, or -1 when git
 * refused to merge (binary content), in which case `target` is left as it was.
 */
export function mergeFile(target: string, base: Buffer, theirs: Buffer, labels: MergeLabels): number {
  const tmp = mkdtempSync(join(tmpdir(), 'lab-merge-'));
  try {
    const basePath = join(tmp, 'base');
    const theirsPath = join(tmp, 'theirs');
    writeFileSync(basePath, base);
    writeFileSync(theirsPath, theirs);
    const okCodes = Array.from({ length: 256 }, (_, code) => code);
    const { status } = runGit(tmp, ['merge-file', '--diff3', '-L', labels.ours, '-L', labels.base, '-L', labels.theirs, target, basePath, theirsPath], { okCodes });
    // merge-file exits with the conflict count (capped at 127), or a negative number (255) on error.
    return status > 127 ? -1 : status;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
