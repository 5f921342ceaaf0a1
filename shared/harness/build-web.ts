// Builds a service tree's web page (<tree>/web) once per content: the output goes to
// .cache/web/<hash of every file under web/>, outside the tree, and a folder that already
// exists is reused as is. The API serves the folder when started with WEB_DIR=<folder>.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CACHE_ROOT = join(REPO_ROOT, '.cache', 'web');
// Bump when the build options below change, so older cached builds are not reused.
const BUILD_FORMAT = 'web-build-1';
// Their versions are part of the hash too: an upgrade must not serve a page built by the old ones.
const TOOLCHAIN = ['vite', '@vitejs/plugin-react', 'react', 'react-dom'];
// Never part of the page's source: dependencies and a local `vite build` output.
const IGNORED = new Set(['node_modules', 'dist']);

async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (IGNORED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** SHA-256 over the toolchain's versions and every file's relative path and bytes, in a fixed order. */
export async function hashWebFolder(webRoot: string): Promise<string> {
  const hash = createHash('sha256').update(BUILD_FORMAT);
  for (const name of TOOLCHAIN) {
    const manifest = join(REPO_ROOT, 'node_modules', name, 'package.json');
    const { version } = JSON.parse(await readFile(manifest, 'utf8').catch(() => '{}')) as { version?: string };
    hash.update(`\0${name}@${version ?? 'missing'}`);
  }
  const files = (await listFiles(webRoot)).map((path) => relative(webRoot, path).split(sep).join('/')).sort();
  for (const file of files) {
    const bytes = await readFile(join(webRoot, file));
    hash.update(`\0${file}\0${bytes.length}\0`).update(bytes);
  }
  return hash.digest('hex').slice(0, 16);
}

export async function buildWeb(tree: string): Promise<string> {
  const webRoot = join(tree, 'web');
  const configFile = join(webRoot, 'vite.config.ts');
  if (!existsSync(configFile)) throw new Error(`${configFile} does not exist: ${tree} has no web page to build`);

  const outDir = join(CACHE_ROOT, await hashWebFolder(webRoot));
  if (existsSync(outDir)) return outDir;

  // Build next to the final folder and rename it into place, so an interrupted build is
  // never mistaken for a finished one, and two builds of the same page cannot mix files.
  const staging = `${outDir}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  await mkdir(CACHE_ROOT, { recursive: true });
  const started = performance.now();
  const { build } = await import('vite');
  // Vite takes production mode and React's production JSX runtime from NODE_ENV, which
  // vitest sets to "test": without this the page would be a development build that
  // depends on who called buildWeb. Restored right after; the build reads it throughout.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile,
      configLoader: 'runner', // evaluates the config in memory: no temp file written into the tree
      root: webRoot,
      mode: 'production',
      logLevel: 'silent',
      cacheDir: join(REPO_ROOT, '.cache', 'vite'),
      build: { outDir: staging, emptyOutDir: true },
    });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`Building the web page in ${relative(REPO_ROOT, webRoot) || webRoot} failed: ${message}`, {
      cause: error,
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }

  try {
    await rename(staging, outDir);
  } catch (error) {
    // Another process finished the same build first: keep its folder.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(outDir)) throw error;
    return outDir;
  }
  const ms = Math.round(performance.now() - started);
  console.log(`web page built in ${ms} ms → ${relative(REPO_ROOT, outDir)}`);
  return outDir;
}
