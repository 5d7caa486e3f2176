/**
 * Transcript and chapter downloads for podcast apps and players (`/transcripts/<episode>.vtt|srt|json|txt`,
 * `/chapters/<episode>.json`), with HTTP caching:
 *
 * - `ETag`: strong, a hash of the bytes sent, so it changes exactly when the rendering does. A reload that edits
 *   an episode gives it a new ETag; one that leaves it alone keeps it (the new archive's record renders the same
 *   bytes). Kept per episode record (a few dozen bytes each), so a revalidation costs no rendering.
 * - `Cache-Control: public, max-age=300, must-revalidate`: podcast apps and CDNs may reuse a download for five
 *   minutes (an edit shows within that), then must ask again, which `If-None-Match` makes a bodiless 304. With
 *   `ROUTER_SECRET` set, `private`: the request carried a secret a shared cache knows nothing about, so no shared
 *   cache may answer others with it.
 * - `If-None-Match` (a list of tags or `*`) is compared weakly (RFC 9110 13.1.2): a match answers 304.
 * - GET and HEAD; anything else is 405.
 */
import { createHash } from 'node:crypto';
import type http from 'node:http';

import { LRUCache } from 'lru-cache';

import type { ArchiveBackend } from '../archive/index.js';
import { CHAPTERS_CONTENT_TYPE, DOWNLOADS, renderChapters, renderTranscript } from '../export/transcript.js';
import { sendJson } from './pipeline/respond.js';

export const DOWNLOAD_MAX_AGE_SECONDS = 300;

/** Bytes of ETags kept per archive version (a 1 MiB bound: some ten thousand downloads). */
export const ETAG_CACHE_BYTES = 1024 * 1024;

/**
 * ETags by archive version, then episode and file: an archive version never changes, and a reload or sync brings
 * a new one (its key), so entries never go stale.
 */
const etags = new WeakMap<object, LRUCache<string, string>>();

/** A strong entity tag for bytes. */
function entityTag(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/**
 * Whether an `If-None-Match` value matches an entity tag, by weak comparison (`W/"x"` matches `"x"`).
 *
 * @example
 * ifNoneMatchHits('W/"a", "b"', '"a"') // true
 * ifNoneMatchHits('*', '"a"') // true
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  for (const match of header.matchAll(/(?:W\/)?("[^"]*")/g)) if (match[1] === opaque) return true;
  return false;
}

/**
 * `inline` with the file name: plain ASCII in `filename`, the exact name in `filename*` (RFC 6266): ids keep
 * non-Latin letters (`юлия-ким`), and a header value with them would be refused by Node.
 *
 * @example
 * contentDisposition('юлия-ким-ep1.vtt') // inline; filename="____-___-ep1.vtt"; filename*=UTF-8''%D1%8E…
 */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return ascii === name
    ? `inline; filename="${name}"`
    : `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * Answers `GET|HEAD /transcripts/<episode id>.<ext>` and `/chapters/<episode id>.json`.
 *
 * @example
 * await sendDownload(req, res, backend, 'transcripts', 'the-good-thing-ep3', 'vtt', { shared: true });
 */
export async function sendDownload(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  backend: ArchiveBackend | null,
  kind: string,
  rawId: string,
  ext: string,
  options: { readonly shared: boolean },
): Promise<void> {
  if (!backend) return sendJson(res, 503, { status: 'starting' });
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendJson(res, 405, { error: 'downloads answer GET and HEAD' }, { headers: { allow: 'GET, HEAD' } });
  }
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    return sendJson(res, 400, { error: 'malformed episode id' });
  }
  const source = backend.forRequest();
  try {
    await answerDownload(req, res, source, backend.key, kind, id, ext, options);
  } finally {
    source.close?.();
  }
}

async function answerDownload(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  source: ReturnType<ArchiveBackend['forRequest']>,
  version: object,
  kind: string,
  id: string,
  ext: string,
  options: { readonly shared: boolean },
): Promise<void> {
  const episode = (await source.episodesByIds([id]))[0];
  const transcript = kind === 'transcripts' ? DOWNLOADS[ext] : undefined;
  if (!episode || (kind === 'transcripts' ? !transcript : ext !== 'json')) {
    return sendJson(res, 404, { error: `no ${kind} for ${JSON.stringify(`${id}.${ext}`.slice(0, 200))}` });
  }
  // The transcript JSON and the chapters JSON saved side by side must not overwrite each other.
  const file = transcript
    ? ext === 'json'
      ? `${episode.id}.transcript.json`
      : `${episode.id}.${ext}`
    : `${episode.id}.chapters.json`;
  const render = async (): Promise<string> =>
    transcript
      ? renderTranscript(await source.transcript(episode), transcript.format)
      : renderChapters(await source.episodeSegments(episode));

  let known = etags.get(version);
  if (!known) {
    known = new LRUCache({
      maxSize: ETAG_CACHE_BYTES,
      sizeCalculation: (tag, key) => 2 * key.length + tag.length + 64,
    });
    etags.set(version, known);
  }
  let body: string | undefined;
  let etag = known.get(file);
  if (etag === undefined) {
    body = await render();
    known.set(file, (etag = entityTag(body)));
  }
  const caching = {
    etag,
    'cache-control': `${options.shared ? 'public' : 'private'}, max-age=${DOWNLOAD_MAX_AGE_SECONDS}, must-revalidate`,
    // Web players fetch these cross-origin.
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'etag',
  };
  if (ifNoneMatchHits(headerText(req.headers['if-none-match']), etag)) {
    res.writeHead(304, caching).end();
    return;
  }
  body ??= await render();
  res.writeHead(200, {
    ...caching,
    'content-type': transcript ? transcript.contentType : CHAPTERS_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'content-disposition': contentDisposition(file),
  });
  // HEAD: the same headers, no body.
  res.end(req.method === 'HEAD' ? undefined : body);
}

const headerText = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(', ') : value;
