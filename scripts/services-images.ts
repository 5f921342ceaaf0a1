// npm run services:images — builds, with rootful podman and no registry, the local images of
// shared/stack/images.ts (LOCAL_IMAGES) that the containers provider runs with
// NWS_IMAGES=local: a Debian base made with debootstrap from the mirror apt uses here, then
// one image per server from shared/stack/containerfiles/<service>/ (Debian's redis-server
// and rabbitmq-server; the MinIO and Toxiproxy binaries `npm run services:install` builds).
// Each image carries a label with the hash of its inputs (Containerfile, context files,
// binary, base); an image whose label matches is kept, so a second run takes seconds.
// Non-interactive; root (podman is rootful here). Then: npm run podman -- start.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { binDir } from '../shared/stack/binaries.ts';
import { LOCAL_BASE_IMAGE, LOCAL_IMAGES, type ImageName } from '../shared/stack/images.ts';

const root = resolve(import.meta.dirname, '..');
const CONTAINERFILES = join(root, 'shared/stack/containerfiles');
const LABEL = 'nws.inputs';
// The local images' tags are Debian 12's package versions: the base is bookworm whatever the host runs.
const SUITE = 'bookworm';
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
const DEFAULT_SECURITY_MIRROR = 'http://deb.debian.org/debian-security';
// Changing how the base is made (this list, the apt settings below) must rebuild it.
const BASE_RECIPE = 'debootstrap --variant=minbase; sources: suite, -updates, -security; no recommends; lists removed; v1';

class UserError extends Error {}

const started = performance.now();
const since = (t: number) => `${((performance.now() - t) / 1000).toFixed(1)} s`;
const say = (line: string) => console.log(`services:images: ${line}`);

let conf = '';
const podmanEnv = () => ({ ...process.env, CONTAINERS_CONF: conf });

/** Runs a command quietly; on failure, its last lines and the command. */
function run(cmd: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: podmanEnv(), ...options });
  if (result.error) throw new UserError(`${cmd} could not run: ${result.error.message}`);
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trimEnd().split('\n').slice(-15).join('\n');
    throw new UserError(`'${cmd} ${args.join(' ')}' failed (exit ${result.status}):\n${output}`);
  }
  return String(result.stdout ?? '');
}

function hashOf(parts: (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(createHash('sha256').update(part).digest());
  return hash.digest('hex').slice(0, 16);
}

/** The inputs label of an image present here, or undefined when it is absent. */
function labelOf(image: string): string | undefined {
  const result = spawnSync('podman', ['image', 'inspect', '--format', `{{index .Labels "${LABEL}"}}`, image], { encoding: 'utf8', env: podmanEnv() });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

// 1. podman and its helpers, and the containers.conf this machine needs.
function preparePodman(): void {
  const t0 = performance.now();
  if (process.getuid?.() !== 0) throw new UserError('building images needs root (rootful podman): run it as root, or use Docker, which pulls the official images (see README)');
  const script = join(root, 'scripts/podman.sh');
  run('bash', [script, 'install'], { stdio: ['ignore', 'inherit', 'inherit'] });
  conf = run('bash', [script, 'conf']).trim();
  say(`podman ${run('podman', ['version', '--format', '{{.Client.Version}}']).trim()} ready, settings in ${conf} (${since(t0)})`);
}

/** Debian mirrors apt uses here (deb822 .sources and one-line .list files), by suite. */
function aptMirrors(): Map<string, string> {
  const mirrors = new Map<string, string>();
  const files = ['/etc/apt/sources.list', ...(existsSync('/etc/apt/sources.list.d') ? readdirSync('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f)) : [])];
  for (const file of files.filter((f) => /\.(list|sources)$/.test(f) && existsSync(f))) {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string) => stanza.match(new RegExp(`^${name}:\\s*(.+)$`, 'mi'))?.[1]?.trim().split(/\s+/) ?? [];
        if (!field('Types').includes('deb') || /^Enabled:\s*no/im.test(stanza)) continue;
        const uri = field('URIs')[0];
        for (const suite of field('Suites')) if (uri && !mirrors.has(suite)) mirrors.set(suite, uri);
      }
    } else {
      for (const line of text.split('\n')) {
        const match = line.match(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/);
        if (match && !mirrors.has(match[2]!)) mirrors.set(match[2]!, match[1]!);
      }
    }
  }
  return mirrors;
}

function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1] ?? '').filter((point) => point.startsWith(`${dir}/`));
  for (const point of mounts.sort().reverse()) spawnSync('umount', ['-l', point]);
}

// 2. The Debian base, from the mirror apt uses (NWS_DEBIAN_MIRROR overrides it).
function buildBase(): string {
  const t0 = performance.now();
  const mirrors = aptMirrors();
  const mirror = process.env.NWS_DEBIAN_MIRROR || mirrors.get(SUITE) || DEFAULT_MIRROR;
  const security = mirrors.get(`${SUITE}-security`) || DEFAULT_SECURITY_MIRROR;
  const inputs = hashOf([BASE_RECIPE, SUITE, mirror, security]);
  if (labelOf(LOCAL_BASE_IMAGE) === inputs) {
    say(`base ${LOCAL_BASE_IMAGE}: cached, inputs unchanged (${since(t0)})`);
    return inputs;
  }
  say(`base ${LOCAL_BASE_IMAGE}: debootstrap ${SUITE} from ${mirror} (about 2 minutes) …`);
  const dir = mkdtempSync('/var/tmp/nws-debootstrap-');
  try {
    run('debootstrap', ['--variant=minbase', SUITE, dir, mirror]);
    writeFileSync(
      join(dir, 'etc/apt/sources.list'),
      [`deb ${mirror} ${SUITE} main`, `deb ${mirror} ${SUITE}-updates main`, `deb ${security} ${SUITE}-security main`, ''].join('\n'),
    );
    writeFileSync(join(dir, 'etc/apt/apt.conf.d/90nws'), 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n');
    rmSync(join(dir, 'var/lib/apt/lists'), { recursive: true, force: true });
    rmSync(join(dir, 'var/cache/apt'), { recursive: true, force: true });
    const tar = spawnSync('tar', ['-C', dir, '-c', '.'], { maxBuffer: 1024 * 1024 * 1024 });
    if (tar.status !== 0) throw new UserError(`tar of the debootstrap tree failed: ${String(tar.stderr)}`);
    run('podman', ['import', '--change', 'CMD ["/bin/bash"]', '--change', `LABEL ${LABEL}=${inputs}`, '-', LOCAL_BASE_IMAGE], { input: tar.stdout });
  } finally {
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  }
  say(`base ${LOCAL_BASE_IMAGE}: built (${since(t0)})`);
  return inputs;
}

const tagOf = (image: string) => image.slice(image.lastIndexOf(':') + 1);

/**
 * Where each image's server comes from: a Debian package (its upstream version must be the
 * image's tag) or a binary `npm run services:install` builds (its Go module version must be).
 * A server a lab adds gets a row here, a folder in shared/stack/containerfiles/ and an entry
 * in LOCAL_IMAGES.
 */
const SOURCES: Record<ImageName, { debianPackage: string } | { goBinary: string }> = {
  redis: { debianPackage: 'redis-server' },
  rabbitmq: { debianPackage: 'rabbitmq-server' },
  minio: { goBinary: 'minio' },
  toxiproxy: { goBinary: 'toxiproxy-server' },
  prometheus: { debianPackage: 'prometheus' },
};

/** The Go-built binary an image copies in, checked against the tag images.ts pins. */
function goBinary(service: ImageName, name: string): { path: string; name: string } {
  const path = join(binDir(), name);
  const stamp = existsSync(`${path}.version`) ? readFileSync(`${path}.version`, 'utf8').trim() : '';
  if (!existsSync(path) || !stamp) throw new UserError(`${path} is missing: run npm run services:install first (it builds MinIO and Toxiproxy with Go)`);
  const built = stamp.slice(stamp.lastIndexOf('@v') + 2);
  if (built !== tagOf(LOCAL_IMAGES[service])) {
    throw new UserError(`${name} was built from ${stamp}, but shared/stack/images.ts names ${LOCAL_IMAGES[service]}: make LOCAL_IMAGES.${service} end in :${built} (or rerun npm run services:install)`);
  }
  return { path, name };
}

/** The upstream version of a Debian package in a built image: 5:7.0.15-1~deb12u10 → 7.0.15, 2.42.0+ds-5 → 2.42.0. */
function packagedVersion(image: string, debianPackage: string): string {
  const version = run('podman', ['run', '--rm', '--network', 'none', '--entrypoint', 'dpkg-query', image, '-W', '-f=${Version}', debianPackage]).trim();
  return version.replace(/^\d+:/, '').replace(/-[^-]*$/, '').replace(/\+(ds|dfsg)\d*$/, '');
}

// 3. One image per server.
function buildImage(service: ImageName, baseInputs: string): void {
  const t0 = performance.now();
  const image = LOCAL_IMAGES[service];
  const source = join(CONTAINERFILES, service);
  const files = readdirSync(source).sort();
  const from = SOURCES[service];
  const binary = 'goBinary' in from ? goBinary(service, from.goBinary) : undefined;
  const fromBase = readFileSync(join(source, 'Containerfile'), 'utf8').includes('${BASE}');
  const inputs = hashOf([
    ...(fromBase ? [baseInputs] : []),
    ...files.flatMap((file) => [file, readFileSync(join(source, file))]),
    ...(binary ? [binary.name, readFileSync(binary.path)] : []),
  ]);
  if (labelOf(image) === inputs) {
    say(`${service} ${image}: cached, inputs unchanged (${since(t0)})`);
    return;
  }
  say(`${service} ${image}: building …`);
  const context = mkdtempSync('/var/tmp/nws-image-');
  try {
    cpSync(source, context, { recursive: true });
    if (binary) cpSync(binary.path, join(context, binary.name));
    run('podman', ['build', '--label', `${LABEL}=${inputs}`, '--build-arg', `BASE=${LOCAL_BASE_IMAGE}`, '-t', image, '-f', join(context, 'Containerfile'), context]);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  if ('debianPackage' in from) {
    const version = packagedVersion(image, from.debianPackage);
    if (version !== tagOf(image)) {
      spawnSync('podman', ['rmi', '-f', image], { env: podmanEnv() });
      throw new UserError(`${service}: Debian's mirror now ships ${version}, but shared/stack/images.ts names ${image}: make LOCAL_IMAGES.${service} end in :${version}`);
    }
  }
  say(`${service} ${image}: built (${since(t0)})`);
}

try {
  preparePodman();
  const baseInputs = buildBase();
  for (const service of Object.keys(LOCAL_IMAGES) as ImageName[]) buildImage(service, baseInputs);
  // The images these replaced, now untagged.
  spawnSync('podman', ['image', 'prune', '-f', '--filter', `label=${LABEL}`], { env: podmanEnv(), stdio: 'ignore' });
  say(`done in ${since(started)}: ${Object.values(LOCAL_IMAGES).join(', ')}`);
  console.log('Next: npm run podman -- start, then eval "$(npm run -s podman -- env)" and STACK_PROVIDER=containers npm start');
} catch (error) {
  if (!(error instanceof UserError)) throw error;
  console.error(`services:images: ${error.message}`);
  process.exit(1);
}
