// The containers provider: the same servers from pinned images (images.ts: the official ones,
// or with NWS_IMAGES=local those npm run services:images builds) on one Docker network, so
// toxiproxy reaches the others by alias. If this process dies without stop(), testcontainers'
// reaper (Ryuk) removes the containers; where Ryuk cannot run (TESTCONTAINERS_RYUK_DISABLED,
// as with podman and no registry), reaper.ts's watchdog removes them through the engine's socket.
import { MinioContainer } from '@testcontainers/minio';
import { RabbitMQContainer } from '@testcontainers/rabbitmq';
import { RedisContainer } from '@testcontainers/redis';
import { ToxiProxyContainer } from '@testcontainers/toxiproxy';
import { randomBytes } from 'node:crypto';
import { getContainerRuntimeClient, Network, type ContainerRuntimeClient, type GenericContainer, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { networkNameOf, removeStack, STACK_LABEL } from './engine-api.ts';
import { imagesFor } from './images.ts';
import { trackStack, untrackStack } from './reaper.ts';
import { StackError } from './stack-error.ts';
import type { ProxiedService, ServiceInfo, ServiceName, Stack } from './types.ts';

const MINIO_CREDENTIALS = { accessKey: 'minioadmin', secretKey: 'minioadmin' };
/** Where each service listens inside the network: toxiproxy's upstreams. */
export const UPSTREAMS: Record<ProxiedService, string> = { redis: 'redis:6379', rabbitmq: 'rabbitmq:5672', minio: 'minio:9000' };
// The toxiproxy module publishes these container ports for proxies (8666 onwards).
const PROXY_PORTS = Array.from({ length: 32 }, (_, i) => 8666 + i);
const ENGINE_CHECK_TIMEOUT_MS = 3_000; // a local engine answers in milliseconds
// From start to the readiness the module waits on (a log line, an HTTP probe). The modules'
// own bounds (RabbitMQ's 30 s) were too short on a loaded 2-core machine: RabbitMQ measured
// 12 s idle under podman, 17–23 s and once over 30 s with the load at 8.
const STARTUP_TIMEOUT_MS: Record<ServiceName, number> = { redis: 60_000, rabbitmq: 120_000, minio: 60_000, toxiproxy: 60_000 };

/** The two calls the info builders need, so they can be checked without an engine. */
export interface MappedContainer {
  getHost(): string;
  getMappedPort(port: number): number;
}

interface Definition<S extends ServiceName> {
  create(image: string): GenericContainer;
  info(container: MappedContainer, upstreams: Partial<Record<ProxiedService, string>>): ServiceInfo[S];
}

export const DEFINITIONS: { [S in ServiceName]: Definition<S> } = {
  redis: {
    create: (image) => new RedisContainer(image),
    info: (c) => ({ url: `redis://${c.getHost()}:${c.getMappedPort(6379)}` }),
  },
  rabbitmq: {
    create: (image) => new RabbitMQContainer(image),
    info: (c) => ({ url: `amqp://guest:guest@${c.getHost()}:${c.getMappedPort(5672)}` }),
  },
  minio: {
    create: (image) => new MinioContainer(image).withUsername(MINIO_CREDENTIALS.accessKey).withPassword(MINIO_CREDENTIALS.secretKey),
    info: (c) => ({ endpoint: `http://${c.getHost()}:${c.getMappedPort(9000)}`, ...MINIO_CREDENTIALS }),
  },
  toxiproxy: {
    create: (image) => new ToxiProxyContainer(image),
    info: (c, upstreams) => ({
      apiUrl: `http://${c.getHost()}:${c.getMappedPort(8474)}`,
      upstreams,
      listeners: PROXY_PORTS.map((port) => ({ listen: `0.0.0.0:${port}`, host: c.getHost(), port: c.getMappedPort(port) })),
    }),
  },
};

/** True when testcontainers finds a container engine that answers. */
export async function dockerAnswers(timeoutMs = ENGINE_CHECK_TIMEOUT_MS): Promise<boolean> {
  const check = getContainerRuntimeClient().then(
    () => true,
    () => false,
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, false).unref();
  });
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The engine's unix socket, when testcontainers reaches it through one (not a TCP or SSH DOCKER_HOST). */
export function socketPathOf(client: ContainerRuntimeClient): string | undefined {
  return (client.container.dockerode as unknown as { modem: { socketPath?: unknown } }).modem.socketPath as string | undefined;
}

/**
 * Starts the stack; when the engine lost a host port it had been given to another process in
 * the meantime ("address already in use"), starts it again on fresh ports, as startService does.
 */
export async function startContainers<S extends ServiceName>(services: readonly S[], onProgress: (line: string) => void): Promise<Stack<S>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startContainersOnce(services, onProgress);
    } catch (error) {
      if (attempt >= 3 || !/address already in use/.test((error as Error).message)) throw error;
      onProgress(`a host port was taken meanwhile; starting again (attempt ${attempt + 1})`);
    }
  }
}

async function startContainersOnce<S extends ServiceName>(services: readonly S[], onProgress: (line: string) => void): Promise<Stack<S>> {
  if (!(await dockerAnswers())) {
    throw new StackError('containers provider: no Docker engine answers (testcontainers found no working container runtime); start Docker, or set STACK_PROVIDER=native');
  }
  const images = imagesFor();
  // The stack's id labels its containers and names its network before either exists, so the
  // watchdog finds them even if this process dies halfway through a start.
  const stackId = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const socketPath = socketPathOf(await getContainerRuntimeClient());
  if (socketPath) trackStack(stackId, socketPath);
  const started: StartedTestContainer[] = [];
  let network: StartedNetwork | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(started.map((container) => container.stop()));
      await network?.stop();
      if (socketPath) {
        // Anything a failed start left labelled (a container whose wait timed out) goes too.
        await removeStack(socketPath, stackId);
        untrackStack(stackId);
      }
    })());

  const upstreams: Partial<Record<ProxiedService, string>> = {};
  for (const service of services) if (service !== 'toxiproxy') upstreams[service as ProxiedService] = UPSTREAMS[service as ProxiedService];
  let results: PromiseSettledResult<readonly [S, ServiceInfo[S]]>[];
  try {
    network = await new Network({ nextUuid: () => networkNameOf(stackId) }).start();
    const net = network;
    results = await Promise.allSettled(
      services.map(async (service) => {
        const t0 = performance.now();
        const container = await DEFINITIONS[service]
          .create(images[service])
          .withLabels({ [STACK_LABEL]: stackId })
          .withStartupTimeout(STARTUP_TIMEOUT_MS[service])
          .withNetwork(net)
          .withNetworkAliases(service)
          .start();
        started.push(container);
        onProgress(`${service} ready (${images[service]}) in ${Math.round(performance.now() - t0)} ms`);
        return [service, (DEFINITIONS[service] as Definition<S>).info(container, upstreams)] as const;
      }),
    );
  } catch (error) {
    results = [{ status: 'rejected', reason: error }];
  }
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    await stop();
    const reason: unknown = failure.reason;
    throw new StackError(`containers provider: ${reason instanceof Error ? reason.message.split('\n')[0] : String(reason)}`);
  }
  const infos = results.map((result) => (result as PromiseFulfilledResult<readonly [S, ServiceInfo[S]]>).value);
  return { provider: 'containers', ...Object.fromEntries(infos), stop } as Stack<S>;
}
