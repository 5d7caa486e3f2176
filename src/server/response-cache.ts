/**
 * A response cache for repeated operations. The archive never changes between reloads, so an operation with the
 * same body always has the same answer until the archive is replaced: entries live in a cache that belongs to
 * one archive object, and a new archive starts with an empty one.
 */
import { LRUCache } from 'lru-cache';

import type { Archive } from '../archive/types.js';

/** A response ready to write: headers (with length and `x-response-cache: hit`) and the encoded body. */
export interface CachedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface HeaderReader {
  get(name: string): string | undefined;
}

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

/**
 * Whether Apollo's JSON answer reports errors: such an answer is neither kept nor taught to planned execution.
 * (Conservative: an alias named `errors` in the data also counts.)
 *
 * @example
 * answerHasErrors('{"errors":[{"message":"no"}],"data":null}') // true
 */
export function answerHasErrors(body: string): boolean {
  return body.includes('"errors":[');
}

export class ResponseCache {
  private readonly caches = new WeakMap<Archive, LRUCache<string, CachedResponse>>();

  /** @param maxBytes total size of cached bodies; 0 turns the cache off. */
  constructor(private readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /**
   * The cache key of a request, or null when the request must not be served from the cache: only JSON POSTs,
   * and never when a router asks for a fresh federated trace.
   *
   * @example
   * cache.key({ 'content-type': 'application/json' }, '{"query":"{ allSeries { id } }"}') // 'application/json\n{"query":…'
   */
  key(headers: HeaderReader, body: string): string | null {
    if (!this.enabled || !answerIsReusable(headers)) return null;
    return `${headers.get('accept') ?? ''}\n${body}`;
  }

  get(archive: Archive, key: string): CachedResponse | undefined {
    return this.caches.get(archive)?.get(key);
  }

  /** Stores a successful response: status 200 and no GraphQL errors. A Buffer is kept as it is. */
  set(
    archive: Archive,
    key: string,
    status: number,
    headers: Iterable<[string, string]>,
    answer: string | Buffer,
  ): void {
    // A planned answer never has errors (errors go to Apollo); Apollo's are checked.
    if (status !== 200 || (typeof answer === 'string' && answerHasErrors(answer))) return;
    const body = typeof answer === 'string' ? Buffer.from(answer) : answer;
    const response: CachedResponse = {
      status,
      headers: { ...Object.fromEntries(headers), 'content-length': String(body.length), 'x-response-cache': 'hit' },
      body,
    };
    let cache = this.caches.get(archive);
    if (!cache) {
      cache = new LRUCache<string, CachedResponse>({
        maxSize: this.maxBytes,
        sizeCalculation: (value, k) => value.body.length + k.length + 256,
      });
      this.caches.set(archive, cache);
    }
    cache.set(key, response);
  }
}
