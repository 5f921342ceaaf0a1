// Listing the files of a folder. Lab folders are listed through git, so a tree holds exactly
// what git would commit (.gitignore'd logs and build output never leak into a lab); the
// git-ignored workspace is walked on disk.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { git, splitNul } from './git.ts';
import { isNeverInTree, type LabRepo } from './paths.ts';

/**
 * Files under `dir` that git tracks or would track (untracked but not ignored), as paths
 * relative to `dir` with forward slashes, sorted. Folders named node_modules or dist are
 * never included.
 */
export function listLabFiles(repo: LabRepo, dir: string): string[] {
  if (!existsSync(dir)) return [];
  const prefix = relative(repo.root, dir).split(sep).join('/');
  const out = git(repo.root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', prefix || '.']);
  const files = new Set<string>();
  for (const path of splitNul(out)) {
    const rel = prefix ? path.slice(prefix.length + 1) : path;
    if (isNeverInTree(rel)) continue;
    // A tracked file deleted from disk is still in the index: the disk is what counts.
    const abs = join(dir, rel);
    if (existsSync(abs) && statSync(abs).isFile()) files.add(rel);
  }
  return [...files].sort();
}

/** Every file under `dir` on disk (relative, forward slashes, sorted), skipping folders `skip` rejects. */
export function walkFiles(dir: string, skip: (name: string) => boolean = () => false): string[] {
  const files: string[] = [];
  const visit = (abs: string, rel: string) => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      if (skip(entry.name)) continue;
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) visit(join(abs, entry.name), childRel);
      else if (entry.isFile()) files.push(childRel);
    }
  };
  if (existsSync(dir)) visit(dir, '');
  return files.sort();
}

export function isExecutable(path: string): boolean {
  return (statSync(path).mode & 0o111) !== 0;
}
