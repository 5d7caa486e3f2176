/**
 * The HTTP layer: Apollo Server on plain `node:http` (the same shape as Apollo's own standalone server,
 * with a bounded body), plus `/health` and the transcript and chapter downloads.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

import { HeaderMap, type ApolloServer } from '@apollo/server';
import cors from 'cors';

import type { Archive } from '../archive/types.js';
import { createContext, type BatchObserver, type Context } from '../context.js';
import { CHAPTERS_CONTENT_TYPE, DOWNLOADS, renderChapters, renderTranscript } from '../export/transcript.js';
import { plannableBody, type PlannableBody, type PlannedOperations } from './planned.js';
import { answerHasErrors, answerIsReusable, type HeaderReader, type ResponseCache } from './response-cache.js';

export interface HttpOptions {
  readonly apollo: ApolloServer<Context>;
  /** The archive requests read; called once per request, so a reload only has to swap what it returns. */
  readonly archive: () => Archive | null;
  readonly maxBodyBytes: number;
  readonly onBatch?: BatchObserver;
  /** Serves repeated operations without executing them again. */
  readonly cache?: ResponseCache;
  /** Runs operations Apollo already accepted through their plans, skipping Apollo's pipeline. */
  readonly planned?: PlannedOperations;
  /** When set, every request but `/health` must carry this value in `router-authorization`. */
  readonly routerSecret?: string;
  /** Called with errors that escape a request, for logging. */
  readonly onError?: (error: unknown) => void;
  /** The live reload's state for `/health`: `off` when not given. */
  readonly watch?: () => 'ok' | 'off' | 'failed';
}

const corsHandler = cors();

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The request handler for the whole server.
 *
 * @example
 * const server = http.createServer(createRequestHandler({ apollo, archive: () => archive, maxBodyBytes: 2 ** 21 }));
 */
export function createRequestHandler(options: HttpOptions): http.RequestListener {
  const secret = options.routerSecret ? digest(options.routerSecret) : null;
  return (req, res) => {
    // The common case, a router POSTing to /graphql, skips URL parsing.
    const url = req.url === '/graphql' ? null : new URL(req.url ?? '/', 'http://localhost');
    const route = url === null ? '/graphql' : url.pathname.replace(/\/+$/, '') || '/';
    const fail = (error: unknown): void => {
      if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message });
      options.onError?.(error);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal server error' });
      else res.destroy();
    };
    if (route === '/health') return health(res, options.archive(), options.watch?.() ?? 'off');
    // Before anything is read or parsed: without the router's secret there is nothing to talk about.
    if (secret !== null && !secretMatches(req.headers['router-authorization'], secret)) {
      return sendJson(res, 401, {
        errors: [{ message: 'router-authorization header missing or wrong', extensions: { code: 'UNAUTHENTICATED' } }],
      });
    }
    const download = /^\/(transcripts|chapters)\/([^/]+)\.([a-z]+)$/.exec(route);
    if (download) return sendDownload(res, options.archive(), download[1]!, download[2]!, download[3]!);
    if (route === '/') {
      res.writeHead(302, { location: '/graphql' }).end();
      return;
    }
    if (route !== '/graphql') return sendJson(res, 404, { error: `no route ${url!.pathname}` });
    const search = url?.search ?? '';
    if (req.method === 'OPTIONS') {
      corsHandler(req, res, (err?: unknown) => {
        if (err) return fail(err);
        graphql(req, res, search, options).catch(fail);
      });
      return;
    }
    // All that cors() does for a request that is not a preflight, with its default options.
    res.setHeader('access-control-allow-origin', '*');
    graphql(req, res, search, options).catch(fail);
  };
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Constant-time comparison; hashing first makes the time independent of the lengths too. */
function secretMatches(given: string | string[] | undefined, expected: Buffer): boolean {
  if (typeof given !== 'string') return false;
  return timingSafeEqual(digest(given), expected);
}

/** 200 once loaded, even with the watch failed: the last archive still serves, and `watch` says it may be stale. */
function health(res: http.ServerResponse, archive: Archive | null, watch: 'ok' | 'off' | 'failed'): void {
  if (!archive) return sendJson(res, 503, { status: 'starting' });
  const { series, episodes, segments, turns, speakers, errors, warnings } = archive.stats;
  sendJson(res, 200, { status: 'ok', series, episodes, segments, turns, speakers, errors, warnings, watch });
}

/** `GET /transcripts/<episode id>.vtt|srt|json|txt` and `GET /chapters/<episode id>.json`, for podcast apps. */
function sendDownload(
  res: http.ServerResponse,
  archive: Archive | null,
  kind: string,
  rawId: string,
  ext: string,
): void {
  if (!archive) return sendJson(res, 503, { status: 'starting' });
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    return sendJson(res, 400, { error: 'malformed episode id' });
  }
  const episode = archive.episodeById.get(id);
  const transcript = kind === 'transcripts' ? DOWNLOADS[ext] : undefined;
  if (!episode || (kind === 'transcripts' ? !transcript : ext !== 'json')) {
    return sendJson(res, 404, { error: `no ${kind} for ${JSON.stringify(`${id}.${ext}`)}` });
  }
  const body = transcript ? renderTranscript(episode.turns, transcript.format) : renderChapters(episode.segments);
  res.writeHead(200, {
    'content-type': transcript ? transcript.contentType : CHAPTERS_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'content-disposition': `inline; filename="${episode.id}.${ext}"`,
    // Web players fetch these cross-origin.
    'access-control-allow-origin': '*',
  });
  res.end(body);
}

async function graphql(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  search: string,
  options: HttpOptions,
): Promise<void> {
  const archive = options.archive();
  if (!archive) throw new HttpError(503, 'the archive is still loading');
  const method = (req.method ?? 'GET').toUpperCase();
  let body: unknown;
  let cacheKey: string | null = null;
  let plannable: PlannableBody | null = null;
  if (method === 'POST') {
    const text = await readText(req, options.maxBodyBytes);
    const headersIn = nodeHeaders(req);
    // The cache is consulted before anything else is built for the request: a hit is a map read and a write.
    cacheKey = options.cache?.key(headersIn, text) ?? null;
    const hit = cacheKey === null ? undefined : options.cache!.get(archive, cacheKey);
    if (hit) {
      res.writeHead(hit.status, hit.headers);
      res.end(hit.body);
      return;
    }
    body = parseBody(text, req.headers['content-type']);
    // A plan runs no tracing: traced requests, like everything not reusable, go to Apollo.
    plannable = options.planned && answerIsReusable(headersIn) ? plannableBody(body) : null;
    if (plannable) {
      const answer = await options.planned!.answer(
        plannable,
        req.headers.accept ?? '',
        createContext(archive, options.onBatch),
      );
      if (answer) {
        // A length, as Node sets it for Apollo's one-piece answer; the same bytes go to the cache.
        res.writeHead(200, { ...answer.headers, 'content-length': answer.body.length });
        res.end(answer.body);
        if (cacheKey !== null) options.cache!.set(archive, cacheKey, 200, Object.entries(answer.headers), answer.body);
        return;
      }
    }
  }
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const response = await options.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method, headers, search, body },
    context: async () => createContext(archive, options.onBatch),
  });
  // Answers change with every reload: nobody downstream should keep them (the response cache here is per archive).
  if (!response.headers.has('cache-control')) response.headers.set('cache-control', 'no-store');
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (plannable && res.statusCode === 200 && response.body.kind === 'complete') {
    options.planned!.learnHeaders(req.headers.accept ?? '', response.headers);
    if (!answerHasErrors(response.body.string)) options.planned!.confirm(plannable.query, plannable.operationName);
  }
  if (response.body.kind === 'complete') {
    if (cacheKey !== null)
      options.cache!.set(archive, cacheKey, res.statusCode, response.headers, response.body.string);
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

function nodeHeaders(req: http.IncomingMessage): HeaderReader {
  return {
    get: (name) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

/** Reads the body as text, refusing more than `limit` bytes. */
function readText(req: http.IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(new HttpError(413, `request body over ${limit} bytes`));
  // Events rather than an async iterator: this runs for every request, and the iterator costs several times more.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, `request body over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    );
    req.once('error', reject);
  });
}

/** JSON bodies are parsed; others go to Apollo as text, which it refuses with a clear error. */
function parseBody(text: string, contentType: string | undefined): unknown {
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType ?? '')) return text;
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
