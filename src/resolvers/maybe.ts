import type { Maybe } from '../archive/index.js';
// Not named `then`: a module exporting `then` is a thenable namespace, and `await import()` of it calls it.

/**
 * `f(value)`, now if the value is here, after it if it is a promise: resolvers stay synchronous over the in-memory
 * archive (no promise per field) and wait over PostgreSQL.
 *
 * @example
 * andThen(source.search(query, filter, 0, 10), (answer) => answer.totalCount)
 */
export function andThen<T, U>(value: Maybe<T>, f: (value: T) => Maybe<U>): Maybe<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/** The one record a look-up of one id found, or null. */
export function one<T>(found: Maybe<readonly (T | null)[]>): Maybe<T | null> {
  return andThen(found, (records) => records[0] ?? null);
}
