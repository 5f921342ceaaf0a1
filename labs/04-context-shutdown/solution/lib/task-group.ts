// Go's errgroup.WithContext for promises: steps that need nothing from each other run at
// once, share one AbortSignal, and the first to fail aborts the others.
//
// Promise.all alone is not that: it rejects at the first failure but leaves the other steps
// running, unobserved, still holding their buffers and connections. Here the group's signal
// tells them to stop, and the group settles only once every step has (errgroup's Wait), so a
// caller that frees a resource afterwards knows nothing still uses it.

/** One step of a group: it should stop early when `signal` aborts. */
export type GroupStep<T> = (signal: AbortSignal) => Promise<T>;

/**
 * Runs the steps at once with a signal that aborts when `parent` does or when any step
 * fails; resolves to their results in order, or rejects with the first failure once all have
 * settled.
 */
export async function runGroup<T extends readonly unknown[]>(parent: AbortSignal, steps: { [K in keyof T]: GroupStep<T[K]> }): Promise<T> {
  const group = new AbortController();
  const signal = AbortSignal.any([parent, group.signal]);
  const runs = (steps as readonly GroupStep<unknown>[]).map(async (step) => {
    try {
      return await step(signal);
    } catch (error) {
      // The first failure wins; the others see the group's signal abort with it as reason.
      if (!group.signal.aborted) group.abort(error);
      throw error;
    }
  });
  const settled = await Promise.allSettled(runs);
  if (group.signal.aborted) throw group.signal.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
