// The uploads in progress, counted so that server.ts can wait for them on SIGTERM before the
// process exits (the role of a sync.WaitGroup in a Go server). upload-route.ts calls add()
// for an upload and done() once it is answered or failed.

export interface InFlight {
  /** One more upload in progress. */
  add(): void;
  /** One upload finished, answered or failed. */
  done(): void;
  /** Resolves as soon as no upload is in progress (at once when none is). */
  idle(): Promise<void>;
  readonly count: number;
}

function createInFlight(): InFlight {
  let count = 0;
  let waiters: Array<() => void> = [];
  return {
    add() {
      count++;
    },
    done() {
      count--;
      if (count > 0) return;
      for (const wake of waiters) wake();
      waiters = [];
    },
    idle() {
      if (count === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    get count() {
      return count;
    },
  };
}

/** The API's uploads: one counter for the process. */
export const uploadsInFlight = createInFlight();
