import { GraphQLError, type GraphQLResolveInfo } from 'graphql';

import { paginate, PaginationError, type Connection, type PageArgs } from '../archive/connection.js';

/**
 * A connection page for a resolver: paging errors become `BAD_USER_INPUT`, and when a client pages
 * backward with `last` without writing `first`, the schema's default `first: 20` is not applied.
 *
 * @example
 * turns: (episode, args, _ctx, info) => page(episode.turns, args, info)
 */
export function page<T>(items: readonly T[], args: PageArgs, info: GraphQLResolveInfo): Connection<T> {
  const firstWritten = info.fieldNodes.some((node) => node.arguments?.some((a) => a.name.value === 'first'));
  const first = args.last !== null && args.last !== undefined && !firstWritten ? null : args.first;
  try {
    return paginate(items, { ...args, first });
  } catch (error) {
    if (error instanceof PaginationError) {
      throw new GraphQLError(error.message, {
        extensions: { code: 'BAD_USER_INPUT', argumentName: error.argumentName },
      });
    }
    throw error;
  }
}
