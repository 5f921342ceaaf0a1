// `npm run lab preflight`: an instructor's check of a machine before a workshop, one line per
// check: ✓ ready, ✗ a required piece is missing (with the fix), ! optional or informative.
// Exits 0 when no required check fails. Nothing here starts a server or changes the machine,
// except that `go tool pprof` is built into Go's cache when it has not been yet.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, homedir, hostname, totalmem } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { BINARIES, findBinary, PRIVATE_SERVERS } from '../../shared/stack/binaries.ts';
import { ALL_SERVICES, assertProviderChoice, selectProvider } from '../../shared/stack/index.ts';
import { resolveLab } from './catalog.ts';
import { baselineDir, shown, type LabRepo } from './paths.ts';

export type Mark = '✓' | '✗' | '!';

export interface Check {
  mark: Mark;
  name: string;
  detail: string;
  fix?: string;
}

const NAME_WIDTH = 15;
const GIB = 1024 ** 3;
/** Below this, trees, backups and the containers' images do not fit comfortably. */
const MIN_FREE_BYTES = 2 * GIB;
const SERVERS_FIX = 'npm run services:install (Debian/Ubuntu; macOS: brew install redis rabbitmq minio toxiproxy prometheus), or start Docker';

export function formatCheck(check: Check): string {
  return `  ${check.mark} ${check.name.padEnd(NAME_WIDTH)} ${check.detail}${check.fix ? ` — fix: ${check.fix}` : ''}`;
}

/** The lowest version a package.json engines range of the form ">=22.22" admits. */
export function engineFloor(range: string): [number, number, number] {
  const match = /^\s*>=\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(range);
  if (!match) throw new Error(`package.json engines.node "${range}" is not of the form >=X.Y.Z, which preflight reads`);
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

export function meetsFloor(version: string, floor: readonly number[]): boolean {
  const parts = version.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((parts[i] ?? 0) !== floor[i]) return (parts[i] ?? 0) > floor[i]!;
  return true;
}

export function nodeCheck(version: string, range: string): Check {
  const ok = meetsFloor(version, engineFloor(range));
  return ok
    ? { mark: '✓', name: 'node', detail: `${version} (package.json wants ${range})` }
    : { mark: '✗', name: 'node', detail: `${version} is older than package.json's ${range}`, fix: 'npm run node:install, then put the folder it prints first on PATH' };
}

/**
 * The ports npm start listens on: its --port default and the fixed ports it hands the service.
 * Read from scripts/start.ts itself, so this check follows it.
 */
export function startPorts(source: string): { port: number; what: string }[] {
  const api = /port:\s*\{[^}]*default:\s*'(\d+)'/.exec(source);
  const fixed = [...source.matchAll(/\b([A-Z][A-Z_]*_PORT):\s*'(\d+)'/g)];
  if (!api || fixed.length === 0) throw new Error('scripts/start.ts no longer names its ports the way preflight reads them (--port default, *_PORT: \'NNNN\')');
  return [{ port: Number(api[1]), what: '--port' }, ...fixed.map((match) => ({ port: Number(match[2]), what: match[1]! }))];
}

/** A path under the home folder as ~/…, which reads shorter. */
const tilde = (path: string) => (path.startsWith(`${homedir()}/`) ? `~${path.slice(homedir().length)}` : path);

interface Ran {
  ok: boolean;
  /** The command is not installed. */
  missing: boolean;
  out: string;
  ms: number;
}

function run(command: string, args: string[], options: { timeoutMs?: number; cwd?: string } = {}): Promise<Ran> {
  const started = performance.now();
  return new Promise((done) => {
    execFile(command, args, { timeout: options.timeoutMs ?? 10_000, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const missing = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
      done({ ok: !error, missing, out: `${stdout}${stderr}`, ms: performance.now() - started });
    });
  });
}

const firstLine = (text: string, pattern = /\S/) => text.split('\n').find((line) => pattern.test(line))?.trim() ?? '';
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function gitCheck(): Promise<Check> {
  const git = await run('git', ['--version']);
  return git.ok
    ? { mark: '✓', name: 'git', detail: firstLine(git.out) }
    : { mark: '✗', name: 'git', detail: 'git does not run: every lab command reads the labs through it', fix: 'install git (https://git-scm.com/downloads)' };
}

/** `npm ci` done: every package of package.json installed, at the version it pins. */
export function installCheck(root: string): Check {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  const wanted = Object.entries({ ...pkg.dependencies, ...pkg.devDependencies });
  const problems = wanted.flatMap(([name, spec]) => {
    const file = join(root, 'node_modules', name, 'package.json');
    if (!existsSync(file)) return [`${name} missing`];
    const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version: string };
    return /^\d+\.\d+\.\d+$/.test(spec) && version !== spec ? [`${name} ${version} (wants ${spec})`] : [];
  });
  if (problems.length === 0) return { mark: '✓', name: 'npm ci', detail: `node_modules holds the ${wanted.length} packages of package.json` };
  const more = problems.length > 3 ? ` and ${problems.length - 3} more` : '';
  return { mark: '✗', name: 'npm ci', detail: `node_modules is not what package.json asks: ${problems.slice(0, 3).join(', ')}${more}`, fix: 'npm ci' };
}

/** The native servers, Docker, and the provider `npm start` and the tests would use (STACK_PROVIDER, default auto). */
async function serverChecks(): Promise<Check[]> {
  const names = [...ALL_SERVICES.flatMap((service) => BINARIES[service]), ...PRIVATE_SERVERS];
  const found = names.map((name) => ({ name, path: findBinary(name) }));
  const missing = found.filter((binary) => !binary.path).map((binary) => binary.name);
  const folders = [...new Set(found.flatMap((binary) => (binary.path ? [tilde(dirname(binary.path))] : [])))];
  const docker = await (await import('../../shared/stack/containers.ts')).dockerAnswers();
  const native: Check = missing.length === 0
    ? { mark: '✓', name: 'native servers', detail: `${names.join(', ')} (in ${folders.join(', ')})` }
    : { mark: '!', name: 'native servers', detail: `missing ${missing.join(', ')}${docker ? ' (Docker answers, so they are not needed)' : ''}`, fix: 'npm run services:install (macOS: brew install redis rabbitmq minio toxiproxy prometheus)' };
  const engine: Check = docker
    ? { mark: '✓', name: 'docker', detail: 'a Docker engine answers: the servers run as containers (images are pulled on first use)' }
    : { mark: '!', name: 'docker', detail: `no Docker engine answers${missing.length === 0 ? ' (the native servers are used)' : ''}`, ...podmanFix() };
  return [native, engine, await providerCheck(docker, missing.length === 0)];
}

/** Where podman is installed but its Docker API is not served: how to serve it (scripts/podman.sh). */
function podmanFix(): Pick<Check, 'fix'> {
  const onPath = (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, 'podman')));
  if (!onPath) return {};
  return { fix: 'podman is installed: npm run podman -- start, then eval "$(npm run -s podman -- env)" (or keep the native servers)' };
}

async function providerCheck(docker: boolean, nativeComplete: boolean): Promise<Check> {
  const setting = process.env.STACK_PROVIDER || 'auto';
  try {
    const choice = assertProviderChoice(setting, 'STACK_PROVIDER');
    const { provider, reason } = await selectProvider(choice, ALL_SERVICES, { dockerAnswers: async () => docker, missingNative: () => (nativeComplete ? [] : ['minio']) });
    if (provider === 'native' && !nativeComplete) return { mark: '✗', name: 'servers', detail: 'STACK_PROVIDER=native, but the native servers are incomplete', fix: SERVERS_FIX };
    if (provider === 'containers' && !docker) return { mark: '✗', name: 'servers', detail: 'STACK_PROVIDER=containers, but no Docker engine answers', fix: 'start Docker, or unset STACK_PROVIDER' };
    return { mark: '✓', name: 'servers', detail: `STACK_PROVIDER=${setting} picks ${provider} (${reason})` };
  } catch (error) {
    const why = error instanceof Error && error.message.startsWith('STACK_PROVIDER=') ? error.message : 'no Docker engine answers and the native servers are incomplete';
    return { mark: '✗', name: 'servers', detail: why, fix: SERVERS_FIX };
  }
}

/** The browser the web test launches: the path it names, and its version. */
async function chromiumCheck(repo: LabRepo): Promise<Check> {
  const test = join(baselineDir(repo), 'test', 'web.e2e.test.ts');
  const path = existsSync(test) ? /const CHROMIUM = '([^']+)'/.exec(readFileSync(test, 'utf8'))?.[1] : undefined;
  if (!path) return { mark: '!', name: 'chromium', detail: `${shown(repo, test)} names no CHROMIUM path: cannot tell which browser the web test needs` };
  const version = await run(path, ['--version']);
  if (version.missing || !existsSync(path)) {
    return { mark: '✗', name: 'chromium', detail: `no ${path}: the web page's test (npm run verify -- --cumulative) launches it`, fix: 'apt-get install chromium' };
  }
  return version.ok
    ? { mark: '✓', name: 'chromium', detail: `${path} (${firstLine(version.out, /chrom/i)})` }
    : { mark: '✗', name: 'chromium', detail: `${path} --version fails: ${firstLine(version.out)}`, fix: 'apt-get install --reinstall chromium' };
}

/** Lab 01 reads profiles with `go tool pprof`; since Go 1.24 it is built on first use, which this does now rather than in the room. */
async function pprofCheck(): Promise<Check> {
  const go = await run('go', ['version']);
  if (!go.ok) return { mark: '!', name: 'go pprof', detail: 'no go on PATH: lab 01 then reads profiles in speedscope only, not with go tool pprof', fix: 'install Go from https://go.dev/dl/' };
  const pprof = await run('go', ['tool', '-n', 'pprof'], { timeoutMs: 300_000 });
  const version = firstLine(go.out).replace(/^go version /, '');
  if (!pprof.ok) return { mark: '!', name: 'go pprof', detail: `${version}, but go tool pprof does not build: ${firstLine(pprof.out)}`, fix: 'reinstall Go from https://go.dev/dl/' };
  const built = pprof.ms > 5_000 ? `, built now in ${seconds(pprof.ms)} and cached` : '';
  return { mark: '✓', name: 'go pprof', detail: `${version}, go tool pprof ready${built}` };
}

async function graphvizCheck(): Promise<Check> {
  const dot = await run('dot', ['-V']);
  return dot.ok
    ? { mark: '✓', name: 'graphviz', detail: firstLine(dot.out) }
    : { mark: '!', name: 'graphviz', detail: 'no dot: go tool pprof -http shows no graph view (its flame graph still works)', fix: 'apt-get install graphviz (macOS: brew install graphviz)' };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer()
      .once('error', () => done(false))
      .listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}

async function portsCheck(): Promise<Check> {
  const ports = startPorts(readFileSync(resolve(import.meta.dirname, '../start.ts'), 'utf8'));
  const free = await Promise.all(ports.map((entry) => portFree(entry.port)));
  const busy = ports.filter((_, index) => !free[index]);
  const listed = ports.map((entry) => `${entry.port} (${entry.what})`).join(', ');
  if (busy.length === 0) return { mark: '✓', name: 'ports', detail: `npm start's ports are free: ${listed}` };
  const api = busy.find((entry) => entry.what === '--port');
  return {
    mark: '✗',
    name: 'ports',
    detail: `in use: ${busy.map((entry) => `${entry.port} (${entry.what})`).join(', ')}`,
    fix: `stop what holds them (ss -ltnp shows it)${api ? `; for the API alone, npm start -- --port ${api.port + 1}` : ''}; the admin ports are fixed (compose/prometheus.yml scrapes them)`,
  };
}

function diskCheck(repo: LabRepo): Check {
  const stats = statfsSync(repo.root);
  const free = stats.bavail * stats.bsize;
  const detail = `${(free / GIB).toFixed(1)} GiB free where the repository is`;
  return free >= MIN_FREE_BYTES ? { mark: '✓', name: 'disk', detail } : { mark: '✗', name: 'disk', detail: `${detail}; the labs want ${MIN_FREE_BYTES / GIB} GiB`, fix: 'free some space (docker system prune, or old .lab/backups/)' };
}

/** One verify of the reference solution, timed: the servers, the harness and the lab's tests together. */
async function verifyCheck(repo: LabRepo, nn: string): Promise<Check> {
  const command = `npm run verify lab-${nn} -- --solution`;
  const verify = await run(process.execPath, [resolve(import.meta.dirname, '../verify.ts'), `lab-${nn}`, '--solution'], { cwd: repo.root, timeoutMs: 600_000 });
  if (verify.ok) return { mark: '✓', name: 'verify', detail: `${command} passed in ${seconds(verify.ms)}` };
  const why = firstLine(verify.out, /✗/) || firstLine(verify.out.split('\n').reverse().join('\n'));
  return { mark: '✗', name: 'verify', detail: `${command} failed after ${seconds(verify.ms)}: ${why}`, fix: `run ${command} to see all of it` };
}

export async function runPreflight(repo: LabRepo, options: { verify?: string }): Promise<number> {
  const lab = options.verify === undefined ? null : resolveLab(repo, options.verify);
  const range = (JSON.parse(readFileSync(join(repo.root, 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node ?? '>=0';
  console.log(`Preflight of ${hostname()}: ${process.platform} ${process.arch}, ${cpus().length} cores, ${Math.round(totalmem() / GIB)} GiB of memory`);
  // Started together, printed in order: the slow ones (Docker, a first pprof build) overlap.
  const pending: Promise<Check | Check[]>[] = [
    Promise.resolve(nodeCheck(process.version, range)),
    gitCheck(),
    Promise.resolve(installCheck(repo.root)),
    serverChecks(),
    chromiumCheck(repo),
    pprofCheck(),
    graphvizCheck(),
    portsCheck(),
    Promise.resolve(diskCheck(repo)),
  ];
  let failed = 0;
  const print = (check: Check) => {
    if (check.mark === '✗') failed++;
    console.log(formatCheck(check));
  };
  for (const checks of pending) for (const check of [await checks].flat()) print(check);
  if (lab) print(await verifyCheck(repo, lab.nn));
  console.log(failed === 0 ? 'Ready for the workshop: every required check passed.' : `${failed} required check${failed === 1 ? '' : 's'} failed: apply the fixes above, then npm run lab preflight again.`);
  return failed === 0 ? 0 : 1;
}
