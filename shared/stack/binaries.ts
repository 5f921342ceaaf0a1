// Where the native provider finds its servers. MinIO and Toxiproxy come from
// `npm run services:install` (built with `go install`), Redis, RabbitMQ and Prometheus (labs
// 07+, shared/stack/prometheus.ts) from the system packages (apt on Debian/Ubuntu, Homebrew on macOS).
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { StackError } from './stack-error.ts';
import type { ServiceName } from './types.ts';

export type BinaryName = 'redis-server' | 'rabbitmq-server' | 'epmd' | 'minio' | 'toxiproxy-server' | 'prometheus';

export const BINARIES: Record<ServiceName, BinaryName[]> = {
  redis: ['redis-server'],
  rabbitmq: ['rabbitmq-server', 'epmd'],
  minio: ['minio'],
  toxiproxy: ['toxiproxy-server'],
};

/** Servers a lab's tests start on their own, outside the shared stack (lab 07's Prometheus). */
export const PRIVATE_SERVERS: BinaryName[] = ['prometheus'];

/** The folder `npm run services:install` fills; NWS_BIN_DIR overrides it. */
export function binDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NWS_BIN_DIR) return env.NWS_BIN_DIR;
  const cache = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(cache, 'nws-watermark-labs', 'bin');
}

function candidates(name: BinaryName, env: NodeJS.ProcessEnv): string[] {
  const onPath = (env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  switch (name) {
    case 'minio':
    case 'toxiproxy-server':
      // An explicit NWS_BIN_DIR is the only place looked at, so a test can point it at an
      // empty folder; otherwise a Homebrew install on PATH is fine too.
      return env.NWS_BIN_DIR ? [join(env.NWS_BIN_DIR, name)] : [join(binDir(env), name), ...onPath];
    case 'rabbitmq-server':
      // Debian's /usr/sbin/rabbitmq-server switches to the rabbitmq user, which a root
      // test run cannot follow with its own temp dirs; the script under /usr/lib does not.
      // Homebrew keeps it in sbin, which is not always on PATH.
      return ['/usr/lib/rabbitmq/bin/rabbitmq-server', ...onPath, '/opt/homebrew/sbin/rabbitmq-server', '/usr/local/sbin/rabbitmq-server'];
    default:
      return [...onPath, join('/usr/sbin', name)];
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findBinary(name: BinaryName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return candidates(name, env).find(isExecutable);
}

/** The binaries the given services need that cannot be found. */
export function missingBinaries(services: readonly ServiceName[], env: NodeJS.ProcessEnv = process.env): BinaryName[] {
  return services.flatMap((service) => BINARIES[service]).filter((name) => !findBinary(name, env));
}

export function assertBinary(name: BinaryName, env: NodeJS.ProcessEnv = process.env): string {
  const path = findBinary(name, env);
  if (path) return path;
  const where = name === 'minio' || name === 'toxiproxy-server' ? binDir(env) : 'PATH';
  throw new StackError(`native provider: ${name} not found in ${where}; run \`npm run services:install\` (macOS: brew install redis rabbitmq minio toxiproxy prometheus)`);
}
