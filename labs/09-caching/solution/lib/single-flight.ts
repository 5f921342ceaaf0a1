// Go's singleflight for promises: concurrent calls with the same key share one run of the
// work, and each caller gets its result. The work gets a signal of its own that aborts only
// once every caller has gone: one client hanging up must not cancel what the others wait for.

/**
 * Runs `work` once per key at a time; a caller whose `signal` aborts stops waiting at once.
 * `shared` says whether the caller joined a run another call had started.
 */
export type SingleFlight<T> = (key: string, signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>) => Promise<{ value: T; shared: boolean }>;

interface Flight<T> {
  result: Promise<T>;
  controller: AbortController;
  waiting: number;
}

export function singleFlight<T>(): SingleFlight<T> {
  const flights = new Map<string, Flight<T>>();

  return (key, signal, work) => {
    signal.throwIfAborted();
    let flight = flights.get(key);
    const shared = flight !== undefined;
    if (!flight) {
      const controller = new AbortController();
      const started: Flight<T> = { result: work(controller.signal), controller, waiting: 0 };
      // Settled: the next call runs the work again (a flight is not a cache). It stays until the
      // I/O callbacks of this turn have run: a caller whose cache lookup missed just before the
      // result was stored, and whose answer came in the same read, joins it instead.
      started.result = started.result.finally(() =>
        setImmediate(() => {
          if (flights.get(key) === started) flights.delete(key);
        }),
      );
      flights.set(key, started);
      flight = started;
    }
    const joined = flight;
    joined.waiting++;
    return new Promise<{ value: T; shared: boolean }>((resolve, reject) => {
      const leave = () => {
        if (--joined.waiting === 0) joined.controller.abort(signal.reason);
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', leave, { once: true });
      joined.result.then((value) => resolve({ value, shared }), reject).finally(() => signal.removeEventListener('abort', leave));
    });
  };
}
