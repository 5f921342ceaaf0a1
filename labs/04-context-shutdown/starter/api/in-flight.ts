// The uploads in progress, counted so that server.ts can wait for them on SIGTERM before the
// process exits (the role of a sync.WaitGroup in a Go server).
// DELIBERATE BUG (lab 04, BUG #3): see where upload-route.ts calls add().

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
