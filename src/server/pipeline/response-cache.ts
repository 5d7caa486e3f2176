/**
 * A response cache for repeated operations. The archive never changes between reloads, so an operation with the
 * same body always has the same answer until the archive is replaced: entries live in a cache that belongs to
 * one archive object, and a new archive starts with an empty one. The pipeline decides what may be kept (a clean
 * answer: 200 and no GraphQL errors, known from Apollo's result, not from its text); this only keeps it, bounded
 * by the bytes it holds.
 */
import { LRUCache } from 'lru-cache';

import { ownBytes } from '../../execution/plan.js';

/** A response ready to write: headers (with length and `x-response-cache: hit`) and the encoded body. */
export interface CachedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The operation's name (null: anonymous), for metrics and traces of the hits. */
  readonly operationName: string | null;
}

export interface HeaderReader {
  get(name: string): string | undefined;
}

/** Bytes an entry holds beyond its body and key: the record, its headers, the LRU's bookkeeping. */
export const ENTRY_OVERHEAD_BYTES = 1400;

/**
 * Whether work done for a request may be reused for another with the same body: a JSON POST's body says everything
 * that shapes the answer, and a request for a fresh federated trace must be executed (and traced) every time. The
 * response cache and planned execution both ask this.
 *
 * @example
 * answerIsReusable({ get: (name) => ({ 'content-type': 'application/json' })[name] }) // true
 */
export function answerIsReusable(headers: HeaderReader): boolean {
  return (
    /^application\/json\b/i.test(headers.get('content-type') ?? '') &&
    headers.get('apollo-federation-include-trace') === undefined
  );
}

export class ResponseCache {
  private readonly caches = new WeakMap<object, LRUCache<string, CachedResponse>>();
  /** Look-ups that found an answer, and those that did not (for metrics). */
  readonly stats = { hits: 0, misses: 0 };

  /** @param maxBytes bytes of bodies, keys and entries kept per archive; 0 turns the cache off. */
  constructor(private readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** Bytes held for an archive version (as the bound counts them). */
  bytes(version: object): number {
    return this.caches.get(version)?.calculatedSize ?? 0;
  }

  /**
   * The cache key of a request, or null when the request must not be served from the cache: only JSON POSTs,
   * and never when a router asks for a fresh federated trace.
   *
   * @example
   * cache.key({ get: () => 'application/json' }, '{"query":"{ allSeries { id } }"}') // 'application/json\n{"query":…'
   */
  key(headers: HeaderReader, body: string): string | null {
    if (!this.enabled || !answerIsReusable(headers)) return null;
    const key = `${headers.get('accept') ?? ''}\n${body}`;
    // A key alone over the budget could never be kept.
    return 2 * key.length + ENTRY_OVERHEAD_BYTES > this.maxBytes ? null : key;
  }

  get(version: object, key: string): CachedResponse | undefined {
    const hit = this.caches.get(version)?.get(key);
    if (hit) this.stats.hits++;
    else this.stats.misses++;
    return hit;
  }

  /** Keeps a clean answer (the caller knows it is one: 200, no errors) to a query named `operationName`. */
  set(
    version: object,
    key: string,
    headers: Iterable<[string, string]>,
    answer: string | Buffer,
    operationName: string | null = null,
  ): void {
    const body = typeof answer === 'string' ? Buffer.from(answer) : answer;
    const response: CachedResponse = {
      status: 200,
      headers: { ...Object.fromEntries(headers), 'content-length': String(body.length), 'x-response-cache': 'hit' },
      body: ownBytes(body),
      operationName,
    };
    let cache = this.caches.get(version);
    if (!cache) {
      cache = new LRUCache<string, CachedResponse>({
        maxSize: this.maxBytes,
        // Keys are JavaScript strings: up to two bytes per character.
        sizeCalculation: (value, k) => value.body.length + 2 * k.length + ENTRY_OVERHEAD_BYTES,
      });
      this.caches.set(version, cache);
    }
    cache.set(key, response);
  }
}
