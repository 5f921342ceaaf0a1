// A private Prometheus for one test file, scraping the admin ports it is given: Debian's
// prometheus as a child process (native), or its image on the host's network (containers),
// so that in both cases it reaches the service's loopback-only admin ports. Not part of the
// shared stack: its targets are the ports of one test's service, known only once it runs.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getContainerRuntimeClient, GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { assertBinary } from './binaries.ts';
import { socketPathOf } from './containers.ts';
import { removeStack, STACK_LABEL } from './engine-api.ts';
import { freePorts } from './free-ports.ts';
import { imagesFor } from './images.ts';
import { httpOk, waitReady } from './readiness.ts';
import { trackDir, trackStack, untrackDir, untrackStack } from './reaper.ts';
import { spawnServer, stopServer } from './server-process.ts';
import { StackError } from './stack-error.ts';
import type { ProviderName } from './types.ts';

const HOST = '127.0.0.1';
// Ready in ~0.1 s natively; a container on a loaded machine takes seconds.
const READY_TIMEOUT_MS = { native: 15_000, containers: 60_000 };
const QUERY_TIMEOUT_MS = 5_000;
// The first scrape of a static target comes 5.3–5.9 s after start, even at a 1 s interval.
const FIRST_SCRAPE_TIMEOUT_MS = 20_000;
const POLL_MS = 250;

export interface ScrapeTarget {
  job: string;
  /** host:port of a /metrics endpoint. */
  address: string;
  labels?: Record<string, string>;
}

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  /** The HTTP API, e.g. http://127.0.0.1:PORT (query with /api/v1/query?query=…). */
  url: string;
  /** An instant query; a scalar comes back as one sample without labels. Throws with Prometheus's own error. */
  query(expr: string): Promise<PromSample[]>;
  /** Resolves once every target has been scraped with up == 1; the error names those that were not, with Prometheus's lastError. */
  waitForUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  targets: readonly ScrapeTarget[];
  /** How often each target is scraped; default 1s. */
  scrapeInterval?: string;
  /** Which provider runs it: the run's stack provider (inject('stack').provider). */
  provider: ProviderName;
}

/** The scrape config: one job per distinct job name, the targets' labels kept. */
export function scrapeConfig(targets: readonly ScrapeTarget[], scrapeInterval = '1s'): string {
  const jobs = [...new Set(targets.map((target) => target.job))].map((job) => ({
    job_name: job,
    static_configs: targets.filter((target) => target.job === job).map((target) => ({ targets: [target.address], labels: target.labels ?? {} })),
  }));
  // JSON is YAML: no YAML library for a file nobody edits.
  return JSON.stringify({ global: { scrape_interval: scrapeInterval, scrape_timeout: scrapeInterval }, scrape_configs: jobs }, null, 2);
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  if (options.targets.length === 0) throw new StackError('startPrometheus: no scrape targets given');
  const config = scrapeConfig(options.targets, options.scrapeInterval);
  const [port] = (await freePorts(1)) as [number];
  const stop = options.provider === 'native' ? await startNative(config, port) : await startContainer(config, port);
  return client(`http://${HOST}:${port}`, options.targets, stop);
}

function flags(configFile: string, dataDir: string, port: number): string[] {
  return [`--config.file=${configFile}`, `--storage.tsdb.path=${dataDir}`, `--web.listen-address=${HOST}:${port}`];
}

async function startNative(config: string, port: number): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'nws-prometheus-'));
  trackDir(dir);
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const args = flags(join(dir, 'prometheus.yml'), join(dir, 'data'), port);
  const server = spawnServer('prometheus', assertBinary('prometheus'), args, { logPath: join(dir, 'server.log') });
  const stop = async () => {
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    untrackDir(dir);
  };
  const ready = `http://${HOST}:${port}/-/ready`;
  try {
    await waitReady(server, httpOk(ready), { timeoutMs: READY_TIMEOUT_MS.native, signal: new AbortController().signal, what: ready });
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}

// The host's network: the admin ports listen on the host's loopback only.
async function startContainer(config: string, port: number): Promise<() => Promise<void>> {
  const socketPath = socketPathOf(await getContainerRuntimeClient());
  const stackId = `${process.pid}-prometheus-${randomBytes(4).toString('hex')}`;
  if (socketPath) trackStack(stackId, socketPath);
  const image = imagesFor().prometheus;
  let container: StartedTestContainer | undefined;
  const stop = async () => {
    await container?.stop();
    if (socketPath) {
      await removeStack(socketPath, stackId);
      untrackStack(stackId);
    }
  };
  try {
    container = await new GenericContainer(image)
      .withLabels({ [STACK_LABEL]: stackId })
      .withNetworkMode('host')
      .withCopyContentToContainer([{ content: config, target: '/etc/prometheus/prometheus.yml' }])
      .withCommand(flags('/etc/prometheus/prometheus.yml', '/prometheus', port))
      .withWaitStrategy(Wait.forLogMessage(/Server is ready to receive web requests/))
      .withStartupTimeout(READY_TIMEOUT_MS.containers)
      .start();
    await httpOk(`http://${HOST}:${port}/-/ready`)();
  } catch (error) {
    await stop();
    throw new StackError(`prometheus (${image}) did not start on ${HOST}:${port}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  return stop;
}

function client(url: string, targets: readonly ScrapeTarget[], stop: () => Promise<void>): PrometheusServer {
  const get = async (path: string): Promise<unknown> => {
    const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) }).catch((error: unknown) => {
      throw new StackError(`GET ${url}${path}: ${error instanceof Error ? error.message : String(error)} (no answer within ${QUERY_TIMEOUT_MS} ms?)`);
    });
    const body = (await response.json()) as { status: string; data?: unknown; error?: string };
    if (body.status !== 'success') throw new StackError(`Prometheus refused ${decodeURIComponent(path)}: ${body.error ?? response.status}`);
    return body.data;
  };

  return {
    url,
    async query(expr) {
      const data = (await get(`/api/v1/query?query=${encodeURIComponent(expr)}`)) as { resultType: string; result: unknown };
      if (data.resultType === 'scalar') return [{ metric: {}, value: Number((data.result as [number, string])[1]) }];
      if (data.resultType !== 'vector') throw new StackError(`${expr}: a ${data.resultType}, not an instant vector`);
      return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
    },
    async waitForUp(timeoutMs = FIRST_SCRAPE_TIMEOUT_MS) {
      const deadline = Date.now() + timeoutMs;
      let down: string[] = targets.map((target) => `${target.address}: not scraped yet`);
      while (Date.now() < deadline) {
        const data = (await get('/api/v1/targets?state=active')) as { activeTargets: { scrapeUrl: string; health: string; lastError: string; labels: { instance: string } }[] };
        const byInstance = new Map(data.activeTargets.map((target) => [target.labels.instance, target]));
        down = targets.flatMap((target) => {
          const seen = byInstance.get(target.address);
          if (seen?.health === 'up') return [];
          return [`${target.address}: ${seen ? `${seen.health}${seen.lastError ? ` (${seen.lastError})` : ''}` : 'not a target'}`];
        });
        if (down.length === 0) return;
        await sleep(POLL_MS);
      }
      throw new StackError(`Prometheus at ${url} did not scrape every target within ${timeoutMs / 1000} s: ${down.join('; ')}`);
    },
    stop,
  };
}
