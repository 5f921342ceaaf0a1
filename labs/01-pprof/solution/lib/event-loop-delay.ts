// Event-loop delay: how late the JS thread gets round to work that is ready. It is Node's
// counterpart of Go's scheduler latency: a request whose bytes have arrived waits this long
// before any handler runs, because the one JS thread is busy with someone else's work.
// perf_hooks measures it with a timer that should fire every `resolutionMs`: each firing
// records how long the interval really took.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { json, type AdminRoute } from './admin-reply.ts';

const resolutionMs = 10; // Node's default; finer timers cost more and add little

/** Delay figures over a window, in milliseconds; null while no timer has fired yet. */
export interface EventLoopFigures {
  /** Length of the window: since the process started or since the last reset, in seconds. */
  windowSeconds: number;
  /** Timer firings measured in the window. */
  samples: number;
  /** How late the timer fired beyond its interval: 0 is a free loop. */
  minMs: number | null;
  meanMs: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /**
   * Share of the window the loop was not waiting for I/O (0–1): running JS and GC, but also
   * native callbacks and any wait outside the poll, so it can exceed a CPU profile's busy share.
   */
  utilization: number;
}

export interface EventLoopWatch {
  /** The figures since the last reset; `reset` starts a new window after reading. */
  read(reset: boolean): EventLoopFigures;
}

export function watchEventLoop(): EventLoopWatch {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  let since = performance.now();
  let utilizationStart = performance.eventLoopUtilization();

  // The histogram holds whole intervals in nanoseconds; the delay is what exceeds the interval.
  const delayMs = (nanos: number) => round(Math.max(0, nanos / 1e6 - resolutionMs));

  return {
    read(reset) {
      const samples = histogram.count;
      const figures: EventLoopFigures = {
        windowSeconds: round((performance.now() - since) / 1000),
        samples,
        minMs: samples ? delayMs(histogram.min) : null,
        meanMs: samples ? delayMs(histogram.mean) : null,
        p50Ms: samples ? delayMs(histogram.percentile(50)) : null,
        p99Ms: samples ? delayMs(histogram.percentile(99)) : null,
        maxMs: samples ? delayMs(histogram.max) : null,
        utilization: round(performance.eventLoopUtilization(utilizationStart).utilization),
      };
      if (reset) {
        histogram.reset();
        since = performance.now();
        utilizationStart = performance.eventLoopUtilization();
      }
      return figures;
    },
  };
}

/** GET /debug/eventloop: the figures since start-up or the last ?reset=1. */
export function eventLoopRoute(): AdminRoute {
  const eventLoop = watchEventLoop();
  return {
    path: '/debug/eventloop',
    description: 'event-loop delay in ms (min, mean, p50, p99, max) and utilization, JSON; ?reset=1 starts a new window',
    async handle(url) {
      return json(eventLoop.read(url.searchParams.get('reset') === '1'));
    },
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
