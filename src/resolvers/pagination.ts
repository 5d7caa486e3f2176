import { GraphQLError, type GraphQLResolveInfo } from 'graphql';

import type { Listing, Maybe } from '../archive/index.js';
import { paginate, PaginationError, type Connection, type PageArgs, type Sliceable } from './connection.js';

/** A `BAD_USER_INPUT` error, naming the argument at fault. */
export function badUserInput(message: string, argumentName: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', argumentName } });
}

/**
 * Runs `read`, turning a paging error into `BAD_USER_INPUT`.
 *
 * @example
 * const { offset, limit } = readPaging(() => forwardWindow(args));
 */
export function readPaging<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof PaginationError) throw badUserInput(error.message, error.argumentName);
    throw error;
  }
}

/**
 * A connection page for a resolver: paging errors become `BAD_USER_INPUT`, and when a client pages
 * backward with `last` without writing `first`, the schema's default `first: 20` is not applied.
 *
 * @example
 * turns: (episode, args, _ctx, info) => page(episode.turns, args, info)
 */
export function page<T>(
  items: Sliceable<T> | Listing<T>,
  args: PageArgs,
  info: GraphQLResolveInfo,
): Maybe<Connection<T>> {
  const firstWritten = info.fieldNodes.some((node) => node.arguments?.some((a) => a.name.value === 'first'));
  const first = args.last !== null && args.last !== undefined && !firstWritten ? null : args.first;
  return readPaging(() => paginate(items, { ...args, first }));
}
