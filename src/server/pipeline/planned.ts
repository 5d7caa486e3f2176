/**
 * Planned operations: the second and later requests of an operation skip Apollo Server's request pipeline and
 * graphql-js, and run a plan made from the operation's document (src/execution/plan.ts).
 *
 * Apollo stays the gatekeeper. An operation is planned only after Apollo answered it with 200 and no errors (so
 * after parse, token limit, validation with every rule including GraphQL Armor's, the cost limit, and every
 * plugin's say); a plan only answers when its run is clean and, for operations with variables, when this request's
 * cost is within the limit; and its answer carries the headers Apollo sent for the same `accept` header.
 * Everything else (a first request, an error, a variable that does not coerce, GET, APQ, batched or traced
 * requests) goes to Apollo as before.
 *
 * Repeats skip Apollo's plugins. Decisions that depend on the operation alone (limits, validation) hold for every
 * repeat; a decision per request (authorization by header) belongs in the HTTP layer, as ROUTER_SECRET is, or needs
 * PLANNED_EXECUTION=0.
 *
 * Memory is bounded by bytes: plans are made from a location-free parse of the query (Apollo's documents keep
 * every token, several times the plan's own size), and the cache counts each plan's estimated size.
 */
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';

import { jsonBytes, planOperation, runPlan, type Plan, type ViewBudget } from '../../execution/plan.js';
import { CACHE_DEFAULTS } from '../config.js';
import { checkCost, costVaries } from '../limits.js';

/** A request body the planned path can take: a single operation with a query text and plain variables. */
export interface PlannableBody {
  readonly query: string;
  readonly operationName?: string | null;
  readonly variables?: Record<string, unknown> | null;
}

export interface PlannedOptions {
  /** Bytes of plans (and their keys) kept. Default: CACHE_DEFAULTS.plans. */
  readonly planBytes?: number;
  /** Bytes of entity JSON kept per archive for reuse across operations and requests; 0 keeps none. */
  readonly viewBytes?: number;
  /** The cost limit, checked on every planned request whose operation has variables. Default: none. */
  readonly maxCost?: number;
}

/** An operation that cannot be planned is remembered too, so it is not parsed again on every request. */
type Entry =
  { readonly plan: Plan; readonly document: DocumentNode; readonly variableCost: boolean } | { readonly plan: null };

// Router-made subgraph operations are a few KB; longer documents are rare and always go through Apollo.
const MAX_PLANNED_QUERY_LENGTH = 16 * 1024;
/** Bytes per syntax node of a location-free document, and per field plan (measured: test/server/memory.test.ts). */
export const BYTES_PER_NODE = 130;
export const BYTES_PER_FIELD_PLAN = 900;

export class PlannedOperations {
  private readonly plans: LRUCache<string, Entry>;
  /** Apollo's headers for a successful answer, by `accept` header (content negotiation depends on nothing else). */
  private readonly headersByAccept: LRUCache<string, Readonly<Record<string, string>>>;
  /** Entity views' budgets, one per archive: a new archive starts with none kept and a full budget. */
  private readonly budgets = new WeakMap<object, ViewBudget>();
  private readonly viewBytes: number;
  private readonly maxCost: number;
  /** Requests answered by a plan, requests a plan handed back to Apollo, and requests with no plan to run. */
  readonly stats = { planned: 0, bailed: 0, missed: 0 };

  constructor(
    private readonly schema: GraphQLSchema,
    options: PlannedOptions = {},
  ) {
    this.viewBytes = options.viewBytes ?? 0;
    this.maxCost = options.maxCost ?? Infinity;
    const planBytes = Math.max(1, options.planBytes ?? CACHE_DEFAULTS.plans);
    this.plans = new LRUCache({
      maxSize: planBytes,
      // As for Apollo's documents (see DocumentStore), a plan over 1/64 of the budget (128 KB by default, a router
      // operation with ~150 inline representations) is not kept.
      maxEntrySize: Math.max(1, Math.floor(planBytes / 64)),
      sizeCalculation: (entry, key) =>
        2 * key.length + (entry.plan ? estimatePlanBytes(entry.plan, entry.document) : 64),
    });
    this.headersByAccept = new LRUCache({
      maxSize: 256 * 1024,
      sizeCalculation: (headers, accept) => 2 * accept.length + 2 * JSON.stringify(headers).length + 64,
    });
  }

  /** Bytes the plans and their keys hold now (estimated, as the bound counts them). */
  get bytes(): number {
    return this.plans.calculatedSize + this.headersByAccept.calculatedSize;
  }

  /** Bytes of entity views kept for an archive (as its budget counts them). */
  viewBytesUsed(version: object): number {
    const budget = this.budgets.get(version);
    return budget ? this.viewBytes - budget.remaining : 0;
  }

  private budget(version: object): ViewBudget | null {
    if (this.viewBytes <= 0) return null;
    let budget = this.budgets.get(version);
    if (!budget) this.budgets.set(version, (budget = { remaining: this.viewBytes, keyOf: entityKey }));
    return budget;
  }

  /**
   * Where an operation's plan is kept, or null for a document too long to plan.
   */
  private static key(query: string, operationName: string | null | undefined): string | null {
    if (query.length > MAX_PLANNED_QUERY_LENGTH) return null;
    // No name and an empty name are different requests (Apollo refuses the second for a named operation).
    return `${operationName === null || operationName === undefined ? '\u0000' : operationName}\n${query}`;
  }

  /**
   * Plans a query operation Apollo answered with 200 and no errors, and remembers Apollo's headers for the
   * request's `accept` header (once per operation; cheap after that).
   *
   * @example
   * planned.learn(body, req.headers.accept ?? '', apolloAnswer.headers)
   */
  learn(body: PlannableBody, accept: string, headers: Iterable<[string, string]>): void {
    if (!this.headersByAccept.has(accept)) this.headersByAccept.set(accept, Object.freeze(Object.fromEntries(headers)));
    const key = PlannedOperations.key(body.query, body.operationName);
    if (key === null || this.plans.has(key)) return;
    let entry: Entry = { plan: null };
    try {
      // Without locations: a plan keeps the nodes it runs, and locations would keep every token of the text.
      const document = parse(body.query, { noLocation: true });
      const plan = planOperation(this.schema, document, body.operationName ?? undefined);
      const variableCost = plan !== null && costVaries(document);
      if (plan) entry = { plan, document, variableCost };
    } catch {
      // Whatever goes wrong here must not fail the request that taught the operation.
    }
    this.plans.set(key, entry);
  }

  /**
   * Answers a request with its plan, or returns null: no plan yet, no headers known for this `accept`, a cost
   * over the limit with this request's variables, or the run bailed out (the caller then sends the request to
   * Apollo, which answers or refuses it as it would have).
   *
   * @example
   * const answer = await planned.answer(body, req.headers.accept ?? '', createContext(archive));
   * if (answer) res.writeHead(200, answer.headers).end(answer.body);
   */
  async answer(
    body: PlannableBody,
    accept: string,
    contextValue: { readonly source: { readonly key: object } },
  ): Promise<{ headers: Readonly<Record<string, string>>; body: Buffer; operationName: string | null } | null> {
    const key = PlannedOperations.key(body.query, body.operationName);
    const entry = key === null ? undefined : this.plans.get(key);
    const headers = this.headersByAccept.get(accept);
    if (!entry?.plan || !headers) {
      this.stats.missed++;
      return null;
    }
    try {
      if (
        entry.variableCost &&
        this.maxCost !== Infinity &&
        checkCost(this.schema, entry.document, body.operationName, body.variables, this.maxCost) !== null
      ) {
        this.stats.bailed++;
        return null;
      }
      const result = await runPlan(entry.plan, contextValue, body.variables, this.budget(contextValue.source.key));
      if (result.ok) {
        // Byte for byte what Apollo Server writes: `{"data":…}` and a newline.
        const answer =
          result.rawJson > 0
            ? jsonBytes(result.data, '{"data":', '}\n')
            : Buffer.from(JSON.stringify({ data: result.data }) + '\n', 'utf8');
        this.stats.planned++;
        return { headers, body: answer, operationName: entry.plan.operation.name?.value ?? null };
      }
    } catch {
      // Never expected (runPlan does not throw); if it happens, Apollo answers instead.
    }
    this.stats.bailed++;
    return null;
  }
}

/** A plan's retained size: its syntax nodes and its field plans (closures, arrays, entity-view maps). */
function estimatePlanBytes(plan: Plan, document: DocumentNode): number {
  return countNodes(document) * BYTES_PER_NODE + plan.fieldCount * BYTES_PER_FIELD_PLAN;
}

/** Syntax nodes in a document: every object reachable from it that has a `kind`. */
export function countNodes(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (Array.isArray(value)) {
    let n = 0;
    for (const item of value) n += countNodes(item);
    return n;
  }
  let n = 1;
  for (const key in value) {
    if (key !== 'kind') n += countNodes((value as Record<string, unknown>)[key]);
  }
  return n;
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

/** An entity's key for views: a turn by its position (turn records are made on demand), others by their object. */
function entityKey(entity: object): unknown {
  return (entity as { __typename?: unknown }).__typename === 'Turn'
    ? (entity as { position: number }).position
    : entity;
}
