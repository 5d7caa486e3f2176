/**
 * The GraphQL request pipeline, in the order a request meets its stages:
 *
 *   archive loaded? -> body (bounded, depth-checked JSON) -> response cache -> planned execution
 *     -> token limit -> Apollo Server (parse, validation with the other limits, cost, execution)
 *
 * Each stage answers the request or hands it on. Whatever Apollo answers cleanly (200, a query, no errors, as its
 * plugin recorded) teaches the cache and the planner; nothing is decided from the answer's text. The access check
 * runs before this, in the HTTP layer, so nothing is read without the router's secret.
 *
 * Where a stage answers, it tells the request's observation which path answered (`cache`, `plan`, `apollo`,
 * `refused`), with the operation and error codes it knows: traces and metrics are made from that.
 */
import type http from 'node:http';

import type { ApolloServer } from '@apollo/server';

import type { ArchiveBackend, Source } from '../../archive/index.js';
import { createContext, type BatchObserver, type Context, type Outcome } from '../../context.js';
import { checkTokens, type Limits } from '../limits.js';
import { LIMIT_CODES, type GraphQLAnswer, type ObservedRequest } from '../observe.js';
import { runApollo } from './apollo.js';
import { parseBody, readBody } from './body.js';
import { plannableBody, type PlannableBody, type PlannedOperations } from './planned.js';
import { sendGraphQLError } from './respond.js';
import { answerIsReusable, type HeaderReader, type ResponseCache } from './response-cache.js';

export interface GraphQLPipeline {
  readonly apollo: ApolloServer<Context>;
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
  readonly limits: Pick<Limits, 'maxTokens'>;
  /** Serves repeated operations without executing them again. */
  readonly cache?: ResponseCache | undefined;
  /** Runs operations Apollo already accepted through their plans, skipping Apollo's pipeline. */
  readonly planned?: PlannedOperations | undefined;
  readonly onBatch?: BatchObserver | undefined;
}

/** A request as the stages see it, once its body is read. */
interface GraphQLRequest {
  readonly req: http.IncomingMessage;
  readonly search: string;
  /** The parsed body of a POST (`undefined` for GET). */
  readonly body: unknown;
  /** The response cache's key, or null when the request must not be served from it. */
  readonly cacheKey: string | null;
  /** The body, when the planned path may take it. */
  readonly plannable: PlannableBody | null;
}

/**
 * Answers one request to `/graphql` from `archive`: each stage in turn answers it or hands it on.
 *
 * @example
 * await answerGraphQL(pipeline, backend, req, res, url.search, observed);
 */
export async function answerGraphQL(
  pipeline: GraphQLPipeline,
  backend: ArchiveBackend,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  search: string,
  observed: ObservedRequest,
): Promise<void> {
  const read = await readRequest(pipeline, req, search, backend.key, res, observed);
  if (read === 'answered') return;
  // One source for the whole request: one archive version (and, over PostgreSQL, one snapshot), released after.
  const source = backend.forRequest();
  try {
    if (await answerFromPlan(pipeline, source, read, res, observed)) return;
    if (refuseOverTokenLimit(pipeline, read, res, observed)) return;
    await answerFromApollo(pipeline, source, read, res, observed);
  } finally {
    source.close?.();
  }
}

/**
 * The body stage, with the response cache right after it: a POST's body is read within the byte limit, looked up in
 * the cache (a hit is a map read and a write, before anything else is built), then parsed within the depth limit.
 */
async function readRequest(
  pipeline: GraphQLPipeline,
  req: http.IncomingMessage,
  search: string,
  version: object,
  res: http.ServerResponse,
  observed: ObservedRequest,
): Promise<GraphQLRequest | 'answered'> {
  if (req.method !== 'POST') return { req, search, body: undefined, cacheKey: null, plannable: null };
  const text = await readBody(req, pipeline.maxBodyBytes);
  if (!text.ok) return refuse(res, observed, text.status, text.message, 'BAD_REQUEST', text);
  const headers = headerReader(req);
  const cacheKey = pipeline.cache?.key(headers, text.text) ?? null;
  const hit = cacheKey === null ? undefined : pipeline.cache!.get(version, cacheKey);
  if (hit) {
    observed.answered({ path: 'cache', operationName: hit.operationName, operationType: 'query' });
    res.writeHead(hit.status, hit.headers).end(hit.body);
    return 'answered';
  }
  const parsed = parseBody(text.text, req.headers['content-type'], pipeline.maxJsonDepth);
  if (!parsed.ok) return refuse(res, observed, parsed.status, parsed.message, 'BAD_REQUEST', parsed);
  // A plan makes no federated trace (ftv1): requests for one, like everything not reusable, go to Apollo.
  const plannable = pipeline.planned && answerIsReusable(headers) ? plannableBody(parsed.value) : null;
  return { req, search, body: parsed.value, cacheKey, plannable };
}

/** The planned stage: a repeat of an operation Apollo accepted, answered from its plan (and kept in the cache). */
async function answerFromPlan(
  pipeline: GraphQLPipeline,
  source: Source,
  request: GraphQLRequest,
  res: http.ServerResponse,
  observed: ObservedRequest,
): Promise<boolean> {
  if (!request.plannable) return false;
  const answer = await pipeline.planned!.answer(
    request.plannable,
    request.req.headers.accept ?? '',
    createContext(source, { onBatch: pipeline.onBatch, trace: observed.trace }),
  );
  if (!answer) return false;
  const { operationName } = answer;
  observed.answered({ path: 'plan', operationName, operationType: 'query' });
  // A length, as Node sets it for Apollo's one-piece answer; the same bytes go to the cache.
  res.writeHead(200, { ...answer.headers, 'content-length': answer.body.length }).end(answer.body);
  if (request.cacheKey !== null) {
    pipeline.cache!.set(source.key, request.cacheKey, Object.entries(answer.headers), answer.body, operationName);
  }
  return true;
}

/** The token limit, counted before Apollo parses: a document past it is never parsed. */
function refuseOverTokenLimit(
  pipeline: GraphQLPipeline,
  request: GraphQLRequest,
  res: http.ServerResponse,
  observed: ObservedRequest,
): boolean {
  const query = queryOf(request.body ?? null, request.search);
  const refusal = query === null ? null : checkTokens(query, pipeline.limits);
  if (!refusal) return false;
  refuse(res, observed, 400, refusal.message, refusal.code, { limit: refusal.code });
  return true;
}

/**
 * The Apollo stage: parse, validation with the other limits, cost, execution. A clean answer (200, a query, no
 * errors, as Apollo's plugin recorded) teaches the planner and the cache.
 */
async function answerFromApollo(
  pipeline: GraphQLPipeline,
  source: Source,
  request: GraphQLRequest,
  res: http.ServerResponse,
  observed: ObservedRequest,
): Promise<void> {
  const outcome: Outcome = { errors: null };
  const answer = await runApollo(pipeline.apollo, request.req, {
    search: request.search,
    body: request.body,
    context: createContext(source, { onBatch: pipeline.onBatch, outcome, trace: observed.trace }),
  });
  observed.answered(apolloAnswer(outcome, request.body ?? null, request.search));
  for (const [key, value] of answer.headers) res.setHeader(key, value);
  res.statusCode = answer.status;
  if (answer.body.kind !== 'complete') {
    for await (const chunk of answer.body.asyncIterator) res.write(chunk);
    res.end();
    return;
  }
  res.end(answer.body.string);
  if (!answer.clean) return;
  if (request.plannable) pipeline.planned!.learn(request.plannable, request.req.headers.accept ?? '', answer.headers);
  if (request.cacheKey !== null) {
    const name = outcome.operationName ?? null;
    pipeline.cache!.set(source.key, request.cacheKey, answer.headers, answer.body.string, name);
  }
}

/** A refusal by the pipeline itself: the answer, and what the observation needs to know of it. */
function refuse(
  res: http.ServerResponse,
  observed: ObservedRequest,
  status: number,
  message: string,
  code: string,
  options: { readonly close?: boolean; readonly limit?: string | undefined },
): 'answered' {
  observed.answered({ path: 'refused', errorCodes: [code], limit: options.limit });
  sendGraphQLError(res, status, message, code, { close: options.close ?? false });
  return 'answered';
}

/** What Apollo's answer was, from its plugin's record; the operation name as requested if Apollo did not resolve one. */
function apolloAnswer(outcome: Outcome, body: unknown, search: string): GraphQLAnswer {
  const limit = outcome.codes?.find((code) => (LIMIT_CODES as readonly string[]).includes(code));
  return {
    path: 'apollo',
    operationName: outcome.operationName !== undefined ? outcome.operationName : requestedOperationName(body, search),
    operationType: outcome.operation,
    errorCodes: outcome.codes,
    limit,
  };
}

/** The `operationName` a request asked for, from a JSON body or a GET's search string. */
function requestedOperationName(body: unknown, search: string): string | null {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const name = (body as { operationName?: unknown }).operationName;
    return typeof name === 'string' ? name : null;
  }
  return body === null && search !== '' ? new URLSearchParams(search).get('operationName') : null;
}

/** The query text of a request, from a JSON body or a GET's search string; null when there is none. */
function queryOf(body: unknown, search: string): string | null {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const query = (body as { query?: unknown }).query;
    return typeof query === 'string' ? query : null;
  }
  if (Array.isArray(body) || search === '') return null;
  return new URLSearchParams(search).get('query');
}

function headerReader(req: http.IncomingMessage): HeaderReader {
  return {
    get: (name) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}
