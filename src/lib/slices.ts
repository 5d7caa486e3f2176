/**
 * Cooperative slicing for long builds that run beside request handling (archive reloads): a loop calls
 * `await slices.tick()` now and then, and yields to the event loop once its slice of time is used up, so a reload
 * of a large archive never holds the loop for more than about `sliceMs` at a time.
 */
export interface Slices {
  /** Yields to the event loop when the current slice is over; cheap to call often (a time check every 256 calls). */
  tick(): Promise<void> | void;
}

/** Never yields: for one-off builds with nothing else to serve (tests, the validate command). */
export const UNSLICED: Slices = { tick: () => undefined };

/**
 * Slices of `sliceMs` (default 10 ms).
 *
 * @example
 * const slices = timeSlices();
 * for (const item of items) { work(item); await slices.tick(); }
 */
export function timeSlices(sliceMs = 10): Slices {
  let calls = 0;
  let sliceStart = performance.now();
  return {
    tick() {
      if (++calls & 255) return;
      const now = performance.now();
      if (now - sliceStart < sliceMs) return;
      return new Promise<void>((resolve) =>
        setImmediate(() => {
          sliceStart = performance.now();
          resolve();
        }),
      );
    },
  };
}
