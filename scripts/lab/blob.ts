// Git blob ids, computed in Node: sha1("blob <byte length>\0" + bytes), the same id
// `git hash-object` prints. Locks store them so the exact old file can be read back from git
// history when an overlay has to be re-based.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UserError } from './errors.ts';
import { runGit } from './git.ts';

export type BlobId = string;

export function blobId(bytes: Buffer | string): BlobId {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

export function fileBlobId(path: string): BlobId {
  return blobId(readFileSync(path));
}

/** The first 12 hex digits: enough to find the blob, short enough to read in a message. */
export function shortId(id: BlobId | null): string {
  return id === null ? 'no file' : id.slice(0, 12);
}

export function hasGitBlob(root: string, id: BlobId): boolean {
  return runGit(root, ['cat-file', '-e', `${id}^{blob}`], { okCodes: [1, 128] }).status === 0;
}

/**
 * Reads a blob from the repository's object database. A lock's base is only there when the
 * file it names was committed (or hashed with -w) at some point.
 */
export function readGitBlob(root: string, id: BlobId, forWhat: string): Buffer {
  if (!hasGitBlob(root, id)) {
    throw new UserError(
      `the base of ${forWhat} (blob ${id}) is not in this repository's git objects, so there is nothing to merge from`,
      'fetch the history that has it (git fetch --unshallow), or port the upstream change by hand and run npm run lab lock <lab> -- --force',
    );
  }
  return runGit(root, ['cat-file', 'blob', id]).stdout;
}
