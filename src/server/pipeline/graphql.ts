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

import type { Archive } from '../../archive/types.js';
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

/**
 * Answers one request to `/graphql` from `archive`.
 *
 * @example
 * await answerGraphQL(pipeline, archive, req, res, url.search, observed);
 */
export async function answerGraphQL(
  pipeline: GraphQLPipeline,
  archive: Archive,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  search: string,
  observed: ObservedRequest,
): Promise<void> {
  const post = req.method === 'POST';
  let body: unknown;
  let cacheKey: string | null = null;
  let plannable: PlannableBody | null = null;
  if (post) {
    const text = await readBody(req, pipeline.maxBodyBytes);
    if (!text.ok) return refuse(res, observed, text.status, text.message, 'BAD_REQUEST', text);
    const headers = headerReader(req);
    // Before anything else is built for the request: a hit is a map read and a write.
    cacheKey = pipeline.cache?.key(headers, text.text) ?? null;
    const hit = cacheKey === null ? undefined : pipeline.cache!.get(archive, cacheKey);
    if (hit) {
      observed.answered({ path: 'cache', operationName: hit.operationName, operationType: 'query' });
      res.writeHead(hit.status, hit.headers).end(hit.body);
      return;
    }
    const parsed = parseBody(text.text, req.headers['content-type'], pipeline.maxJsonDepth);
    if (!parsed.ok) return refuse(res, observed, parsed.status, parsed.message, 'BAD_REQUEST', parsed);
    body = parsed.value;
    // A plan makes no federated trace (ftv1): requests for one, like everything not reusable, go to Apollo.
    plannable = pipeline.planned && answerIsReusable(headers) ? plannableBody(body) : null;
    if (plannable) {
      const answer = await pipeline.planned!.answer(
        plannable,
        req.headers.accept ?? '',
        createContext(archive, { onBatch: pipeline.onBatch, trace: observed.trace }),
      );
      if (answer) {
        const { operationName } = answer;
        observed.answered({ path: 'plan', operationName, operationType: 'query' });
        // A length, as Node sets it for Apollo's one-piece answer; the same bytes go to the cache.
        res.writeHead(200, { ...answer.headers, 'content-length': answer.body.length }).end(answer.body);
        if (cacheKey !== null) {
          pipeline.cache!.set(archive, cacheKey, Object.entries(answer.headers), answer.body, operationName);
        }
        return;
      }
    }
  }
  // Counted before Apollo parses: a document past the limit is never parsed.
  const query = queryOf(post ? body : null, search);
  const refusal = query === null ? null : checkTokens(query, pipeline.limits);
  if (refusal) return refuse(res, observed, 400, refusal.message, refusal.code, { limit: refusal.code });

  const outcome: Outcome = { errors: null };
  const answer = await runApollo(pipeline.apollo, req, {
    search,
    body,
    context: createContext(archive, { onBatch: pipeline.onBatch, outcome, trace: observed.trace }),
  });
  observed.answered(apolloAnswer(outcome, post ? body : null, search));
  for (const [key, value] of answer.headers) res.setHeader(key, value);
  res.statusCode = answer.status;
  if (answer.body.kind === 'complete') {
    res.end(answer.body.string);
    if (answer.clean) {
      if (plannable) pipeline.planned!.learn(plannable, req.headers.accept ?? '', answer.headers);
      if (cacheKey !== null) {
        const name = outcome.operationName ?? null;
        pipeline.cache!.set(archive, cacheKey, answer.headers, answer.body.string, name);
      }
    }
    return;
  }
  for await (const chunk of answer.body.asyncIterator) res.write(chunk);
  res.end();
}

/** A refusal by the pipeline itself: the answer, and what the observation needs to know of it. */
function refuse(
  res: http.ServerResponse,
  observed: ObservedRequest,
  status: number,
  message: string,
  code: string,
  options: { readonly close?: boolean; readonly limit?: string | undefined },
): void {
  observed.answered({ path: 'refused', errorCodes: [code], limit: options.limit });
  sendGraphQLError(res, status, message, code, { close: options.close ?? false });
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
