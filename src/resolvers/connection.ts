/**
 * Relay-style connections over the archive's sorted lists: the GraphQL layer's paging (cursors and paging errors
 * are GraphQL's notions, not the archive's). The archive does not change between reloads, so a cursor is simply a
 * position, encoded opaquely.
 */

import type { Listing, Maybe } from '../archive/index.js';
import { andThen } from './maybe.js';

/** Largest page a client may ask for. */
export const MAX_PAGE_SIZE = 100;

/** A bad paging argument: the GraphQL layer turns it into a BAD_USER_INPUT error. */
export class PaginationError extends Error {
  constructor(
    message: string,
    readonly argumentName: string,
  ) {
    super(message);
    this.name = 'PaginationError';
  }
}

export interface PageArgs {
  readonly first?: number | null;
  readonly after?: string | null;
  readonly last?: number | null;
  readonly before?: string | null;
}

/** What a page can be cut from: an array, or a list that makes its items on demand (turns). */
export interface Sliceable<T> {
  readonly length: number;
  slice(start: number, end: number): T[];
}

export interface Edge<T> {
  readonly cursor: string;
  readonly node: T;
}

export interface PageInfo {
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
  readonly startCursor: string | null;
  readonly endCursor: string | null;
}

export interface Connection<T> {
  readonly totalCount: number;
  readonly pageInfo: PageInfo;
  readonly edges: readonly Edge<T>[];
  readonly nodes: readonly T[];
}

const PREFIX = 'cursor:';

/**
 * The cursor of the item at `index`.
 *
 * @example
 * encodeCursor(0) // 'Y3Vyc29yOjA'
 */
export function encodeCursor(index: number): string {
  return Buffer.from(`${PREFIX}${index}`).toString('base64url');
}

/**
 * The index a cursor stands for, or null when it is not one of ours.
 *
 * @example
 * decodeCursor(encodeCursor(41)) // 41
 * decodeCursor('nonsense') // null
 */
export function decodeCursor(cursor: string): number | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^cursor:(0|[1-9]\d{0,8})$/.exec(text);
  // Re-encoding must give the same string, so that only cursors we issued are accepted.
  if (!m || encodeCursor(Number(m[1])) !== cursor) return null;
  return Number(m[1]);
}

function checkCount(value: number | null | undefined, name: string): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE) {
    throw new PaginationError(`"${name}" must be between 0 and ${MAX_PAGE_SIZE}, got ${value}`, name);
  }
  return value;
}

function checkCursor(value: string | null | undefined, name: string): number | null {
  if (value === null || value === undefined) return null;
  const index = decodeCursor(value);
  if (index === null) throw new PaginationError(`"${name}" is not a valid cursor: ${JSON.stringify(value)}`, name);
  return index;
}

/**
 * Reads forward-only paging arguments into an offset and a count, for lists that are computed a page at a time.
 *
 * @example
 * forwardWindow({ first: 10, after: encodeCursor(9) }) // { offset: 10, limit: 10 }
 */
export function forwardWindow(args: { first?: number | null; after?: string | null }): {
  offset: number;
  limit: number;
} {
  const limit = checkCount(args.first, 'first') ?? MAX_PAGE_SIZE;
  const after = checkCursor(args.after, 'after');
  return { offset: after === null ? 0 : after + 1, limit };
}

/**
 * One page of `items`, by the Relay cursor connection rules: `after`/`before` narrow the range, then `first`
 * keeps its head and `last` its tail. Arrays page at once; a Listing (a backend's list, read a page at a time)
 * may answer with promises.
 *
 * @example
 * const page = paginate(['a', 'b', 'c'], { first: 2 });
 * page.nodes // ['a', 'b'];  page.pageInfo.hasNextPage // true
 * paginate(['a', 'b', 'c'], { first: 2, after: page.pageInfo.endCursor }).nodes // ['c']
 */
export function paginate<T>(items: Sliceable<T>, args: PageArgs): Connection<T>;
export function paginate<T>(items: Sliceable<T> | Listing<T>, args: PageArgs): Maybe<Connection<T>>;
export function paginate<T>(items: Sliceable<T> | Listing<T>, args: PageArgs): Maybe<Connection<T>> {
  const first = checkCount(args.first, 'first');
  const last = checkCount(args.last, 'last');
  const after = checkCursor(args.after, 'after');
  const before = checkCursor(args.before, 'before');
  const listing: Listing<T> =
    'count' in items ? items : { count: () => items.length, slice: (a, b) => items.slice(a, b) };

  return andThen(listing.count(), (total) => {
    let start = after === null ? 0 : Math.min(after + 1, total);
    let end = before === null ? total : Math.max(Math.min(before, total), start);
    if (first !== null && end - start > first) end = start + first;
    if (last !== null && end - start > last) start = end - last;
    return andThen(end > start ? listing.slice(start, end) : [], (nodes) => {
      const edges = nodes.map((node, i) => ({ cursor: encodeCursor(start + i), node }));
      return {
        totalCount: total,
        pageInfo: {
          hasNextPage: end < total,
          hasPreviousPage: start > 0,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
        edges,
        nodes,
      };
    });
  });
}
