/**
 * Planned operations: the second and later requests of an operation skip Apollo Server's request pipeline and
 * graphql-js, and run a plan made from the document Apollo already parsed and validated (src/execution/plan.ts).
 *
 * Apollo stays the gatekeeper. An operation is planned only after Apollo answered it with 200 and no errors (so
 * after parse, token limit, validation with every rule including GraphQL Armor's, and every plugin's say); a plan
 * only answers when its run is clean; and its answer carries the headers Apollo sent for the same `accept` header.
 * Everything else (a first request, an error, a variable that does not coerce, GET, APQ, batched or traced
 * requests) goes to Apollo as before.
 *
 * Repeats skip Apollo's plugins. Decisions that depend on the operation alone (limits, validation) hold for every
 * repeat; a decision per request (authorization by header) belongs in the HTTP layer, as ROUTER_SECRET is, or needs
 * PLANNED_EXECUTION=0.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';

import type { Archive } from '../archive/types.js';
import { jsonBytes, planOperation, runPlan, type Plan, type ViewBudget } from '../execution/plan.js';

/** A request body the planned path can take: a single operation with a query text and plain variables. */
export interface PlannableBody {
  readonly query: string;
  readonly operationName?: string | null;
  readonly variables?: Record<string, unknown> | null;
}

// Router-made subgraph operations are a few KB; with 1,000 plans and 1,000 noted documents this bounds their text.
const MAX_PLANNED_QUERY_LENGTH = 16 * 1024;

export class PlannedOperations {
  /** Plans by operation name and query text; `{ none: true }` remembers an operation that cannot be planned. */
  private readonly plans: LRUCache<string, Plan | { none: true }>;
  /** Apollo's headers for a successful answer, by `accept` header (content negotiation depends on nothing else). */
  private readonly headersByAccept = new Map<string, Readonly<Record<string, string>>>();
  /** Entity views' budgets, one per archive: a new archive starts with none kept and a full budget. */
  private readonly budgets = new WeakMap<Archive, ViewBudget>();
  /** Documents Apollo resolved, by operation, until an answer without errors confirms them. */
  private readonly resolved = new LRUCache<string, DocumentNode>({ max: 1000 });
  /** Requests answered by a plan, and requests a plan handed back to Apollo. */
  readonly stats = { planned: 0, bailed: 0 };

  /**
   * @param viewBytes how many bytes of entity JSON to keep per archive for reuse across operations and
   *   requests; 0 keeps none.
   */
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly viewBytes = 0,
    maxOperations = 1000,
  ) {
    this.plans = new LRUCache({ max: maxOperations });
  }

  private budget(archive: Archive): ViewBudget | null {
    if (this.viewBytes <= 0) return null;
    let budget = this.budgets.get(archive);
    if (!budget) this.budgets.set(archive, (budget = { remaining: this.viewBytes }));
    return budget;
  }

  /**
   * The Apollo plugin that notes each resolved query document. Nothing is planned yet: a later plugin may still
   * refuse the request. `confirm` plans it once Apollo has answered it cleanly. (Apollo hands plugins a copy of
   * the request's context, so documents are noted by operation, not by context.)
   */
  plugin(): ApolloServerPlugin {
    return {
      requestDidStart: async () => ({
        didResolveOperation: async ({ source, document, operation, request }) => {
          if (operation?.operation !== 'query') return;
          const key = PlannedOperations.key(source, request.operationName);
          if (key !== null && !this.plans.has(key)) this.resolved.set(key, document);
        },
      }),
    };
  }

  /**
   * Called after Apollo answered a request with 200 and no errors: plans its operation, if the plugin noted it.
   *
   * @example
   * planned.confirm(body.query, body.operationName)
   */
  confirm(query: string, operationName: string | null | undefined): void {
    const key = PlannedOperations.key(query, operationName);
    if (key === null) return;
    const document = this.resolved.get(key);
    if (document === undefined) return;
    this.resolved.delete(key);
    this.plan(key, operationName, document);
  }

  /**
   * Where an operation's plan is kept, or null for a document too long to keep (huge documents are rare and would
   * make the keys the bulk of both caches).
   */
  private static key(query: string, operationName: string | null | undefined): string | null {
    if (query.length > MAX_PLANNED_QUERY_LENGTH) return null;
    // No name and an empty name are different requests (Apollo refuses the second for a named operation).
    return `${operationName === null || operationName === undefined ? '\u0000' : operationName}\n${query}`;
  }

  /** Plans a document Apollo answered cleanly (once per operation). */
  learn(query: string, operationName: string | null | undefined, document: DocumentNode): void {
    const key = PlannedOperations.key(query, operationName);
    if (key !== null) this.plan(key, operationName, document);
  }

  private plan(key: string, operationName: string | null | undefined, document: DocumentNode): void {
    if (this.plans.has(key)) return;
    let plan: Plan | null = null;
    try {
      plan = planOperation(this.schema, document, operationName ?? undefined);
    } catch {
      // Whatever goes wrong here must not fail the request that taught the operation.
    }
    this.plans.set(key, plan ?? { none: true });
  }

  /** Remembers Apollo's headers of a successful answer for this `accept` header. */
  learnHeaders(accept: string, headers: Iterable<[string, string]>): void {
    // Bounded: accept headers come from clients.
    if (this.headersByAccept.has(accept) || this.headersByAccept.size >= 64) return;
    this.headersByAccept.set(accept, Object.freeze(Object.fromEntries(headers)));
  }

  /**
   * Answers a request with its plan, or returns null: no plan yet, no headers known for this `accept`, or the
   * run bailed out (the caller then sends the request to Apollo).
   *
   * @example
   * const answer = await planned.answer(body, req.headers.accept ?? '', createContext(archive));
   * if (answer) res.writeHead(200, answer.headers).end(answer.body);
   */
  async answer(
    body: PlannableBody,
    accept: string,
    contextValue: { readonly archive: Archive },
  ): Promise<{ headers: Readonly<Record<string, string>>; body: Buffer } | null> {
    const key = PlannedOperations.key(body.query, body.operationName);
    const plan = key === null ? undefined : this.plans.get(key);
    const headers = this.headersByAccept.get(accept);
    if (!plan || 'none' in plan || !headers) return null;
    try {
      const result = await runPlan(plan, contextValue, body.variables, this.budget(contextValue.archive));
      if (result.ok) {
        // Byte for byte what Apollo Server writes: `{"data":…}` and a newline.
        const answer =
          result.fragments > 0
            ? jsonBytes(result.data, '{"data":', '}\n')
            : Buffer.from(JSON.stringify({ data: result.data }) + '\n', 'utf8');
        this.stats.planned++;
        return { headers, body: answer };
      }
    } catch {
      // Never expected (runPlan does not throw); if it happens, Apollo answers instead.
    }
    this.stats.bailed++;
    return null;
  }
}

/** The body if the planned path may take it: a JSON object with a query string and no extensions. */
export function plannableBody(body: unknown): PlannableBody | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { query, operationName, variables, extensions } = body as Record<string, unknown>;
  if (typeof query !== 'string' || (extensions !== undefined && extensions !== null)) return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables)))
    return null;
  return body as PlannableBody;
}
