// The closed model: a number of connections, each sending its next request as soon as the
// previous one answered (autocannon's way, and wrk's, and k6's VUs). The offered load depends
// on the server: when it slows down, the connections wait and fewer requests are sent.
//
// autocannon cannot change its number of connections while it runs, so the stages are
// played by "lanes": every 100 ms the schedule says how many connections it wants; a new
// autocannon instance adds the missing ones, and the newest instances stop when there are
// too many. Latencies are recorded from autocannon's `response` events into our histogram.
import autocannon from 'autocannon';
import type { Recorder } from './recorder.ts';
import { errorKind } from './recorder.ts';
import type { RequestSource } from './request.ts';
import type { Scenario, Stage } from './scenario.ts';
import { connectionsAt, stagesDuration } from './stages.ts';

const STEP_MS = 100;

export interface ClosedProgress {
  elapsed: number;
  connections: number;
}

export interface ClosedResult {
  /** Milliseconds from the first connection to the moment the last one closed. */
  elapsed: number;
  peakConnections: number;
}

// Options autocannon 9 reads (lib/run.js) but does not type. Each instance would otherwise
// build three WebAssembly histograms, about 2.4 MB per instance (100 lanes: 344 MB instead of
// 100 MB, measured); this file records latencies itself, so it hands autocannon histograms
// that keep nothing, and skips the summary autocannon would compute from them.
interface UntypedOptions {
  histograms: Record<'latencies' | 'requests' | 'throughput', object>;
  skipAggregateResult: boolean;
}

const discard = () => ({ __custom: true, recordValue() {}, recordValueWithExpectedInterval() {}, reset() {}, destroy() {} });

interface Lane {
  connections: number;
  instance: autocannon.Instance;
  done: Promise<void>;
}

export async function runClosed(
  scenario: Scenario,
  stages: readonly Stage[],
  source: RequestSource,
  recorder: Recorder,
  onProgress: (progress: ClosedProgress) => void,
  signal?: AbortSignal,
): Promise<ClosedResult> {
  const total = stagesDuration(stages);
  const lanes: Lane[] = [];
  let connections = 0;
  let peakConnections = 0;

  const request = source.fixed
    ? { ...source.next() }
    : { setupRequest: (defaults: autocannon.Request) => ({ ...defaults, ...source.next() }) };

  function addLane(count: number): void {
    const options: autocannon.Options & UntypedOptions = {
      url: scenario.target,
      connections: count,
      // Long enough never to end on its own: the schedule stops every lane.
      duration: total / 1000 + 3600,
      timeout: scenario.timeout / 1000,
      // How often autocannon looks at its stop flag, so a lane stops within 100 ms.
      sampleInt: STEP_MS,
      requests: [request],
      histograms: { latencies: discard(), requests: discard(), throughput: discard() },
      skipAggregateResult: true,
    };
    let finish = () => {};
    const done = new Promise<void>((resolve) => (finish = resolve));
    const instance = autocannon(options, () => finish());
    instance.on('response', (_client, status, bytes, latencyMs) => recorder.response(status, latencyMs, bytes));
    instance.on('reqError', (error) => recorder.error(errorKind(error)));
    lanes.push({ connections: count, instance, done });
    connections += count;
    peakConnections = Math.max(peakConnections, connections);
  }

  function adjust(elapsed: number): void {
    const wanted = connectionsAt(stages, elapsed);
    while (connections > wanted) {
      const lane = lanes.pop()!;
      lane.instance.stop();
      connections -= lane.connections;
    }
    if (wanted > connections) addLane(wanted - connections);
  }

  const start = performance.now();
  adjust(0);
  await new Promise<void>((resolve) => {
    let lastSecond = 0;
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      if (elapsed >= total || signal?.aborted) {
        clearInterval(timer);
        resolve();
        return;
      }
      adjust(elapsed);
      if (Math.floor(elapsed / 1000) > lastSecond) {
        lastSecond = Math.floor(elapsed / 1000);
        onProgress({ elapsed, connections });
      }
    }, STEP_MS);
  });
  // A lane stops at its next sample tick (≤ 100 ms): what it answers until then is counted,
  // and so is that time. Requests still in flight when it closes its sockets are lost: a
  // closed model has no "intended" time to charge them from.
  for (const lane of lanes) lane.instance.stop();
  await Promise.all(lanes.map((lane) => lane.done));
  return { elapsed: performance.now() - start, peakConnections };
}
