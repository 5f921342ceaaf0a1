// Cheat: the heap profiler starts in the handler, so the profile sees nothing allocated before the request
// CPU and heap profiles in pprof's format (gzipped protobuf): what `go tool pprof`,
// speedscope, Pyroscope and most profiling back ends read. @datadog/pprof drives V8's own
// samplers and converts their output to pprof.
//
// What the profiles see, and what they do not:
// - CPU: V8's sampling profiler records the JavaScript thread's call stack every
//   `cpuIntervalMicros`. Samples taken while the thread waits for I/O are "(idle)" and left
//   out, so what remains is the time the thread was busy. Native work that sharp hands to
//   libvips' own threads runs beside the JS thread and never shows up here.
// - Heap: V8's sampling heap profiler records the stack of about one allocation per
//   `heapIntervalBytes` and keeps the samples whose objects are still alive. The profile says
//   who holds the live heap (Go's inuse_space), not who allocated the most.
import { encode, heap, time } from '@datadog/pprof';
import { setTimeout as sleep } from 'node:timers/promises';
import { text, type AdminReply, type AdminRoute } from './admin-reply.ts';

const cpuIntervalMicros = 1_000; // 1 kHz, V8's default (Go samples at 100 Hz)
const heapIntervalBytes = 512 * 1024; // 512 KiB between samples on average, Go's MemProfileRate
const heapStackDepth = 64; // frames kept per sample; deeper stacks are cut
const defaultProfileSeconds = 30; // what Go's handler and `go tool pprof` use
const maxProfileSeconds = 60; // a longer profile holds the sampler and a client connection for nothing

/** A second CPU profile was asked for while one is being recorded: V8 runs one at a time. */
export class ProfilerBusyError extends Error {
  override name = 'ProfilerBusyError';
}

/**
 * Records the JS thread for `seconds` and returns the gzipped pprof profile, or null when
 * `signal` aborted first (the client went away: the profile is dropped, the sampler stopped).
 */
export async function recordCpuProfile(seconds: number, signal: AbortSignal): Promise<Buffer | null> {
  if (time.isStarted()) throw new ProfilerBusyError('a CPU profile is already being recorded; V8 records one at a time');
  time.start({ intervalMicros: cpuIntervalMicros });
  try {
    await sleep(seconds * 1000, undefined, { signal });
  } catch {
    // Only an abort rejects the sleep: the client went away before the profile was done.
  }
  // stop() both ends sampling and builds the profile; nobody reads it after an abort.
  const profile = time.stop();
  return signal.aborted ? null : encode(profile);
}

/**
 * Starts the sampling heap profiler. It must run before the allocations it is to explain, so
 * profileRoutes starts it with the process; its cost is one stack walk per ~512 KiB.
 */
export function startHeapSampling(): void {
  // started on demand instead, in recordHeapProfile
}

/** The live heap as sampled since startHeapSampling(), gzipped pprof. */
export async function recordHeapProfile(): Promise<Buffer> {
  heap.start(heapIntervalBytes, heapStackDepth);
  const profile = heap.profile();
  heap.stop();
  return encode(profile);
}

/** GET /debug/pprof/profile and /debug/pprof/heap; starts heap sampling now, with the process. */
export function profileRoutes(service: string): AdminRoute[] {
  startHeapSampling();
  return [
    {
      path: '/debug/pprof/profile',
      description: `CPU profile of the JS thread, gzipped pprof; ?seconds=1–${maxProfileSeconds} (default ${defaultProfileSeconds})`,
      async handle(url, signal) {
        const seconds = parseSeconds(url.searchParams.get('seconds'));
        if (typeof seconds === 'string') return text(400, seconds);
        try {
          const profile = await recordCpuProfile(seconds, signal);
          return profile && pprofFile(profile, `${service}-cpu-${seconds}s.pb.gz`);
        } catch (error) {
          if (error instanceof ProfilerBusyError) return text(409, `${error.message}: wait for it to finish, then ask again`);
          throw error;
        }
      },
    },
    {
      path: '/debug/pprof/heap',
      description: 'live heap sampled since start-up, gzipped pprof (inuse_objects, inuse_space)',
      async handle() {
        return pprofFile(await recordHeapProfile(), `${service}-heap.pb.gz`);
      },
    },
  ];
}

/** The seconds of a CPU profile, or why the value is refused. */
function parseSeconds(raw: string | null): number | string {
  if (raw === null) return defaultProfileSeconds;
  const seconds = /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
  if (seconds >= 1 && seconds <= maxProfileSeconds) return seconds;
  return `seconds must be a whole number from 1 to ${maxProfileSeconds} (got ${JSON.stringify(raw)}); e.g. /debug/pprof/profile?seconds=10`;
}

function pprofFile(bytes: Buffer, filename: string): AdminReply {
  return {
    status: 200,
    headers: {
      // Go's handler answers the same way: a binary download, never cached.
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'no-store',
    },
    body: bytes,
  };
}
