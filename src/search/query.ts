/** Search query syntax: words, and "quoted phrases" of consecutive words. Every word is required (AND). */
import { words } from './text.js';

/** Longest query accepted, in characters. */
export const MAX_QUERY_LENGTH = 256;

export interface SearchQuery {
  /** Every distinct folded word the query requires, phrase words included. */
  readonly terms: readonly string[];
  /** Words outside phrases: every occurrence is highlighted. */
  readonly words: readonly string[];
  /** Phrases of two or more words that must appear consecutively, as folded words. */
  readonly phrases: readonly (readonly string[])[];
}

export type ParsedQuery =
  { readonly ok: true; readonly query: SearchQuery } | { readonly ok: false; readonly reason: string };

/**
 * Parses a search query. A `"` without its closing partner quotes the rest of the query.
 *
 * @example
 * parseSearchQuery('clickhouse "boring tech"')
 * // { ok: true, query: { terms: ['clickhouse', 'boring', 'tech'], words: ['clickhouse'], phrases: [['boring', 'tech']] } }
 * parseSearchQuery('?!') // { ok: false, reason: 'the query has no words to search for' }
 */
export function parseSearchQuery(text: string): ParsedQuery {
  if (text.length > MAX_QUERY_LENGTH) {
    return { ok: false, reason: `the query is ${text.length} characters long; the limit is ${MAX_QUERY_LENGTH}` };
  }
  const terms = new Set<string>();
  const loose = new Set<string>();
  const phrases: string[][] = [];
  text.split('"').forEach((part, i) => {
    const found = words(part);
    for (const w of found) terms.add(w);
    // Odd parts sit between quotes; a one-word phrase is just a word.
    if (i % 2 === 1 && found.length > 1) phrases.push(found);
    else for (const w of found) loose.add(w);
  });
  if (terms.size === 0) return { ok: false, reason: 'the query has no words to search for' };
  return { ok: true, query: { terms: [...terms], words: [...loose], phrases } };
}
