/**
 * The body stage: read a request body within a byte limit, and parse JSON within a nesting limit. A body past the
 * limit is not read any further: the answer closes the connection, so a client cannot make the server read and
 * discard a gigabyte. Nesting is checked by a linear scan before `JSON.parse` runs (a 2 MB body of a million
 * nested arrays kept the parser busy for 1.6 s).
 */
import type http from 'node:http';

/** A request the body stage refuses: the status, a message, and whether the connection must close. */
export interface BodyRefusal {
  readonly ok: false;
  readonly status: 400 | 413;
  readonly message: string;
  readonly close: boolean;
  /** The limit that refused the body, when one did (for metrics and traces). */
  readonly limit?: 'MAX_BODY_BYTES_EXCEEDED' | 'MAX_JSON_DEPTH_EXCEEDED';
}

export type BodyText = { readonly ok: true; readonly text: string } | BodyRefusal;
export type BodyJson = { readonly ok: true; readonly value: unknown } | BodyRefusal;

const tooLarge = (limit: number): BodyRefusal => ({
  ok: false,
  status: 413,
  message: `request body over ${limit} bytes`,
  close: true,
  limit: 'MAX_BODY_BYTES_EXCEEDED',
});

/**
 * Reads the body as UTF-8 text, refusing more than `limit` bytes (by `content-length`, or as it streams in).
 *
 * @example
 * const body = await readBody(req, 2 * 1024 * 1024);
 * if (!body.ok) return refuse(res, body);
 */
export function readBody(req: http.IncomingMessage, limit: number): Promise<BodyText> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.resolve(tooLarge(limit));
  // Events rather than an async iterator: this runs for every request, and the iterator costs several times more.
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (result: BodyText): void => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        // Stop reading: the refusal closes the connection.
        req.pause();
        settle(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void =>
      settle({
        ok: true,
        text: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'),
      });
    const onError = (): void =>
      settle({ ok: false, status: 400, message: 'request body could not be read', close: true });
    // A client that goes away mid-body: nobody is left to answer, but the promise must still settle.
    const onClose = (): void => {
      if (!req.complete) onError();
    };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/**
 * Whether JSON text nests arrays and objects deeper than `max`. Linear, and skips strings (with their escapes).
 *
 * @example
 * jsonNestsDeeper('[[[1]]]', 2) // true
 * jsonNestsDeeper('{"a":"[[[["}', 2) // false
 */
export function jsonNestsDeeper(text: string, max: number): boolean {
  // Each level takes a character: text no longer than the bound cannot nest deeper than it.
  if (text.length <= max) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string: to its closing quote, past escaped characters.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;

/**
 * A POST body as Apollo takes it: JSON when the content type says so (depth-checked, then parsed), else the text
 * itself, which Apollo refuses with a clear error. An empty JSON body is `undefined`, which Apollo also refuses.
 *
 * @example
 * parseBody('{"query":"{ allSeries { id } }"}', 'application/json', 64) // { ok: true, value: { query: '…' } }
 */
export function parseBody(text: string, contentType: string | undefined, maxDepth: number): BodyJson {
  if (!JSON_TYPE.test(contentType ?? '')) return { ok: true, value: text };
  if (text.trim() === '') return { ok: true, value: undefined };
  if (jsonNestsDeeper(text, maxDepth)) {
    return {
      ok: false,
      status: 400,
      message: `request body nests deeper than ${maxDepth} levels`,
      close: false,
      limit: 'MAX_JSON_DEPTH_EXCEEDED',
    };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, status: 400, message: 'request body is not valid JSON', close: false };
  }
}
