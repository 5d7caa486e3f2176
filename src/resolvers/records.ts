/** Records the GraphQL layer makes itself (the archive's own are in src/archive/types.ts). */
import type { TurnFields } from '../archive/index.js';
import type { SearchQuery } from '../search/query.js';

/** A search hit as the GraphQL layer hands it on: snippet and highlights are computed only when asked for. */
export interface SearchEdgeRecord {
  readonly cursor: string;
  readonly node: TurnFields;
  readonly score: number;
  readonly query: SearchQuery;
}
