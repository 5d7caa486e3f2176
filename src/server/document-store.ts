/**
 * Apollo Server's document store (parsed and validated documents by query hash), bounded by the bytes documents
 * really hold. Apollo's default sizes a document by its JSON, which leaves out the token list every location points
 * into: a 12 KB document of 4,900 tokens serialises to a fraction of the ~1.6 MB it keeps alive (measured, 330 bytes
 * per token). Here a document counts by its tokens.
 */
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';

/** Heap a parsed document holds per token, locations and syntax nodes included (test/server/memory.test.ts). */
export const BYTES_PER_TOKEN = 340;

/** Tokens of a parsed document, by walking the token list its location points into; 0 without locations. */
export function tokenCount(document: DocumentNode): number {
  let count = 0;
  for (let token = document.loc?.startToken ?? null; token !== null; token = token.next) count++;
  return count;
}

/** The retained size of a parsed document (with locations), as the caches here count it. */
export function documentBytes(document: DocumentNode): number {
  return 512 + BYTES_PER_TOKEN * Math.max(tokenCount(document), 1);
}

/**
 * A KeyValueCache for Apollo's `documentStore` option.
 *
 * @example
 * new ApolloServer({ schema, documentStore: new DocumentStore(8 * 1024 * 1024) })
 */
export class DocumentStore implements KeyValueCache<DocumentNode> {
  private readonly cache: LRUCache<string, DocumentNode>;
  /** Look-ups that found a document, and those that did not (for metrics). */
  readonly stats = { hits: 0, misses: 0 };

  constructor(maxBytes: number) {
    this.cache = new LRUCache({
      maxSize: Math.max(1, maxBytes),
      // A document over a sixteenth of the budget is not kept: such documents are rare (router operations are
      // small), cheap to parse again next time, and each one kept would evict many and churn the old generation.
      maxEntrySize: Math.max(1, Math.floor(maxBytes / 16)),
      sizeCalculation: (d, k) => documentBytes(d) + 2 * k.length,
    });
  }

  /** Bytes held now, as the bound counts them. */
  get bytes(): number {
    return this.cache.calculatedSize;
  }

  async get(key: string): Promise<DocumentNode | undefined> {
    const document = this.cache.get(key);
    if (document) this.stats.hits++;
    else this.stats.misses++;
    return document;
  }

  async set(key: string, value: DocumentNode): Promise<void> {
    this.cache.set(key, value);
  }

  async delete(key: string): Promise<boolean> {
    return this.cache.delete(key);
  }
}
