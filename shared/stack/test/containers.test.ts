import { describe, expect, it } from 'vitest';
import { DEFINITIONS, dockerAnswers, startContainers, UPSTREAMS, type MappedContainer } from '../containers.ts';
import { StackError } from '../stack-error.ts';

const dockerHere = await dockerAnswers();
// A fake started container: every container port is published 40000 higher.
const mapped: MappedContainer = { getHost: () => 'localhost', getMappedPort: (port: number) => port + 40_000 };

describe('containers provider', () => {
  it('describes each service in the same StackInfo shape as the native provider', () => {
    expect(DEFINITIONS.redis.info(mapped, {})).toEqual({ url: 'redis://localhost:46379' });
    expect(DEFINITIONS.rabbitmq.info(mapped, {})).toEqual({ url: 'amqp://guest:guest@localhost:45672' });
    expect(DEFINITIONS.minio.info(mapped, {})).toEqual({ endpoint: 'http://localhost:49000', accessKey: 'minioadmin', secretKey: 'minioadmin' });
    const toxiproxy = DEFINITIONS.toxiproxy.info(mapped, { redis: UPSTREAMS.redis });
    expect(toxiproxy.apiUrl).toBe('http://localhost:48474');
    expect(toxiproxy.upstreams).toEqual({ redis: 'redis:6379' });
    expect(toxiproxy.listeners[0]).toEqual({ listen: '0.0.0.0:8666', host: 'localhost', port: 48666 });
    expect(toxiproxy.listeners).toHaveLength(32);
  });

  it('points toxiproxy at the network alias and container port of each service', () => {
    expect(UPSTREAMS).toEqual({ redis: 'redis:6379', rabbitmq: 'rabbitmq:5672', minio: 'minio:9000' });
  });

  it.skipIf(dockerHere)('fails fast with a clear message when no Docker engine answers', async () => {
    const t0 = performance.now();
    const error = await startContainers(['redis'], () => {}).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(StackError);
    expect((error as Error).message).toBe(
      'containers provider: no Docker engine answers (testcontainers found no working container runtime); start Docker, or set STACK_PROVIDER=native',
    );
  });
});
