import { describe, expect, it } from 'vitest';

import {
  decodeCursor,
  encodeCursor,
  paginate,
  PaginationError,
  type Connection,
} from '../../src/resolvers/connection.js';

const items = Array.from({ length: 45 }, (_, i) => i);

describe('paginate', () => {
  it('pages forward to the end and backward to the start, visiting every item once', () => {
    const forward: number[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Connection<number> = paginate(items, { first: 20, after });
      forward.push(...page.nodes);
      expect(page.totalCount).toBe(45);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(forward).toEqual(items);

    const backward: number[] = [];
    let before: string | null = null;
    for (;;) {
      const page: Connection<number> = paginate(items, { last: 20, before });
      backward.unshift(...page.nodes);
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(backward).toEqual(items);
  });

  it('describes the page with cursors and flags', () => {
    const page = paginate(items, { first: 2, after: encodeCursor(9) });
    expect(page.nodes).toEqual([10, 11]);
    expect(page.edges.map((e) => decodeCursor(e.cursor))).toEqual([10, 11]);
    expect(page.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: true,
      startCursor: encodeCursor(10),
      endCursor: encodeCursor(11),
    });
  });

  it('gives an empty page with null cursors past the end and for first: 0', () => {
    for (const page of [paginate(items, { first: 5, after: encodeCursor(44) }), paginate(items, { first: 0 })]) {
      expect(page.nodes).toEqual([]);
      expect(page.pageInfo.startCursor).toBeNull();
      expect(page.pageInfo.endCursor).toBeNull();
    }
  });

  it('applies after and before together', () => {
    expect(paginate(items, { after: encodeCursor(2), before: encodeCursor(6) }).nodes).toEqual([3, 4, 5]);
  });

  it.each([
    [{ first: 101 }, 'first'],
    [{ first: -1 }, 'first'],
    [{ last: 1000 }, 'last'],
    [{ after: 'not-a-cursor' }, 'after'],
    [{ before: Buffer.from('cursor:-1').toString('base64url') }, 'before'],
    [{ after: Buffer.from('cursor:01').toString('base64url') }, 'after'],
  ])('refuses %j', (args, argumentName) => {
    expect(() => paginate(items, args)).toThrow(PaginationError);
    try {
      paginate(items, args);
    } catch (error) {
      expect((error as PaginationError).argumentName).toBe(argumentName);
    }
  });

  it('round-trips cursors and refuses foreign strings', () => {
    for (const i of [0, 1, 99, 123456]) expect(decodeCursor(encodeCursor(i))).toBe(i);
    for (const s of ['', '====', 'Y3Vyc29yOg', encodeCursor(1) + 'A']) expect(decodeCursor(s)).toBeNull();
  });
});
