// startStack(): the test services from the provider asked for (option, then STACK_PROVIDER),
// or in `auto` mode from containers when Docker answers, else from native binaries.
// Environment: STACK_PROVIDER=auto|native|containers; NWS_BIN_DIR overrides where the
// native MinIO and Toxiproxy binaries are looked for (see binaries.ts); NWS_IMAGES=local and
// NWS_IMAGE_<SERVICE> choose the containers' images (see images.ts).
import { binDir, missingBinaries, type BinaryName } from './binaries.ts';
import { startNative } from './native.ts';
import { StackError } from './stack-error.ts';
import type { ProviderName, ServiceName, Stack, StackOptions } from './types.ts';

export { StackError } from './stack-error.ts';
export type { ProviderName, ServiceName, Stack, StackInfo, StackOptions } from './types.ts';

export const PROVIDER_CHOICES = ['auto', 'native', 'containers'] as const;
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number];
export const ALL_SERVICES: readonly ServiceName[] = ['redis', 'rabbitmq', 'minio', 'toxiproxy'];

/** What auto mode looks at; tests replace them to simulate a machine. */
export interface ProviderChecks {
  dockerAnswers(): Promise<boolean>;
  missingNative(services: readonly ServiceName[]): BinaryName[];
}

const realChecks: ProviderChecks = {
  // Loaded lazily: testcontainers costs ~0.5 s to import, wasted when native is forced.
  dockerAnswers: async () => (await import('./containers.ts')).dockerAnswers(),
  missingNative: (services) => missingBinaries(services),
};

export function assertProviderChoice(value: string, source: string): ProviderChoice {
  if ((PROVIDER_CHOICES as readonly string[]).includes(value)) return value as ProviderChoice;
  throw new StackError(`${source}="${value}" is not a stack provider; use one of: ${PROVIDER_CHOICES.join(', ')}`);
}

export function noProviderMessage(missing: readonly BinaryName[]): string {
  return (
    `No way to run the test services (Redis, RabbitMQ, MinIO, Toxiproxy): no Docker engine answers, and the native servers are incomplete ` +
    `(missing: ${missing.join(', ')}; MinIO and Toxiproxy are looked for in ${binDir()}). Either install and start Docker ` +
    `(Docker Desktop, Colima or Docker Engine), and the tests run the servers as containers; or install them natively: on ` +
    `Debian/Ubuntu run \`npm run services:install\`, on macOS run \`brew install redis rabbitmq minio toxiproxy\`. ` +
    `STACK_PROVIDER=containers or STACK_PROVIDER=native forces one way and reports what it lacks.`
  );
}

/** Resolves `auto`; an explicit provider is returned as is and reports its own problems. */
export async function selectProvider(choice: ProviderChoice, services: readonly ServiceName[], checks: ProviderChecks = realChecks): Promise<{ provider: ProviderName; reason: string }> {
  if (choice !== 'auto') return { provider: choice, reason: 'asked for' };
  if (await checks.dockerAnswers()) return { provider: 'containers', reason: 'a Docker engine answers' };
  const missing = checks.missingNative(services);
  if (missing.length === 0) return { provider: 'native', reason: 'no Docker engine answers; native binaries found' };
  throw new StackError(noProviderMessage(missing));
}

export async function startStack<S extends ServiceName = ServiceName>(options: StackOptions<S> = {}): Promise<Stack<S>> {
  const services = options.services ?? (ALL_SERVICES as readonly S[]);
  const onProgress = options.onProgress ?? (() => {});
  const choice = options.provider
    ? assertProviderChoice(options.provider, 'provider')
    : assertProviderChoice(process.env.STACK_PROVIDER || 'auto', 'STACK_PROVIDER');
  const { provider, reason } = await selectProvider(choice, services);
  onProgress(`starting ${services.join(', ')} with the ${provider} provider (${reason})`);
  if (provider === 'containers') return (await import('./containers.ts')).startContainers(services, onProgress);
  return startNative(services, onProgress);
}
