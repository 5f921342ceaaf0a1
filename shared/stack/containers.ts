// The containers provider: the same servers from pinned images (images.ts) on one Docker
// network, so toxiproxy reaches the others by alias. Testcontainers' reaper (Ryuk) removes
// the containers if this process dies.
import { MinioContainer } from '@testcontainers/minio';
import { RabbitMQContainer } from '@testcontainers/rabbitmq';
import { RedisContainer } from '@testcontainers/redis';
import { ToxiProxyContainer } from '@testcontainers/toxiproxy';
import { getContainerRuntimeClient, Network, type GenericContainer, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { IMAGES } from './images.ts';
import { StackError } from './stack-error.ts';
import type { ProxiedService, ServiceInfo, ServiceName, Stack } from './types.ts';

const MINIO_CREDENTIALS = { accessKey: 'minioadmin', secretKey: 'minioadmin' };
/** Where each service listens inside the network: toxiproxy's upstreams. */
export const UPSTREAMS: Record<ProxiedService, string> = { redis: 'redis:6379', rabbitmq: 'rabbitmq:5672', minio: 'minio:9000' };
// The toxiproxy module publishes these container ports for proxies (8666 onwards).
const PROXY_PORTS = Array.from({ length: 32 }, (_, i) => 8666 + i);
const ENGINE_CHECK_TIMEOUT_MS = 3_000; // a local engine answers in milliseconds

/** The two calls the info builders need, so they can be checked without an engine. */
export interface MappedContainer {
  getHost(): string;
  getMappedPort(port: number): number;
}

interface Definition<S extends ServiceName> {
  create(): GenericContainer;
  info(container: MappedContainer, upstreams: Partial<Record<ProxiedService, string>>): ServiceInfo[S];
}

export const DEFINITIONS: { [S in ServiceName]: Definition<S> } = {
  redis: {
    create: () => new RedisContainer(IMAGES.redis),
    info: (c) => ({ url: `redis://${c.getHost()}:${c.getMappedPort(6379)}` }),
  },
  rabbitmq: {
    create: () => new RabbitMQContainer(IMAGES.rabbitmq),
    info: (c) => ({ url: `amqp://guest:guest@${c.getHost()}:${c.getMappedPort(5672)}` }),
  },
  minio: {
    create: () => new MinioContainer(IMAGES.minio).withUsername(MINIO_CREDENTIALS.accessKey).withPassword(MINIO_CREDENTIALS.secretKey),
    info: (c) => ({ endpoint: `http://${c.getHost()}:${c.getMappedPort(9000)}`, ...MINIO_CREDENTIALS }),
  },
  toxiproxy: {
    create: () => new ToxiProxyContainer(IMAGES.toxiproxy),
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

export async function startContainers<S extends ServiceName>(services: readonly S[], onProgress: (line: string) => void): Promise<Stack<S>> {
  if (!(await dockerAnswers())) {
    throw new StackError('containers provider: no Docker engine answers (testcontainers found no working container runtime); start Docker, or set STACK_PROVIDER=native');
  }
  const network: StartedNetwork = await new Network().start();
  const started: StartedTestContainer[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(started.map((container) => container.stop()));
      await network.stop();
    })());

  const upstreams: Partial<Record<ProxiedService, string>> = {};
  for (const service of services) if (service !== 'toxiproxy') upstreams[service as ProxiedService] = UPSTREAMS[service as ProxiedService];
  const results = await Promise.allSettled(
    services.map(async (service) => {
      const t0 = performance.now();
      const container = await DEFINITIONS[service].create().withNetwork(network).withNetworkAliases(service).start();
      started.push(container);
      onProgress(`${service} ready (${IMAGES[service]}) in ${Math.round(performance.now() - t0)} ms`);
      return [service, (DEFINITIONS[service] as Definition<S>).info(container, upstreams)] as const;
    }),
  );
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    await stop();
    const reason: unknown = failure.reason;
    throw new StackError(`containers provider: ${reason instanceof Error ? reason.message.split('\n')[0] : String(reason)}`);
  }
  const infos = results.map((result) => (result as PromiseFulfilledResult<readonly [S, ServiceInfo[S]]>).value);
  return { provider: 'containers', ...Object.fromEntries(infos), stop } as Stack<S>;
}
