import { highlight, searchSnippet } from '../search/index.js';
import type { TurnSearchEdgeResolvers } from '../__generated__/resolvers-types.js';

export const TurnSearchEdge: TurnSearchEdgeResolvers = {
  snippet: (edge) => searchSnippet(edge.node.text, edge.query),
  highlights: (edge) => highlight(edge.node.text, edge.query),
};
