/**
 * Query limits. Depth, aliases and directives are GraphQL Armor's validation rules; tokens are counted before
 * anything is parsed; cost is computed here, with the request's variables, so `first: $n` costs what `first: 100`
 * costs. Every refusal is a `LimitRefusal`: a client error (HTTP 400) with its own `extensions.code`, recognised
 * by its class, never by its message.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getVariableValues,
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isInterfaceType,
  isObjectType,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
  visit,
  BREAK,
} from 'graphql';

import { ArchiveUnavailableError } from '../archive/index.js';

export interface Limits {
  /** Deepest selection. `MAX_DEPTH`, default 12. */
  readonly maxDepth: number;
  /** Aliases per operation. `MAX_ALIASES`, default 30 (routers alias merged fetches). */
  readonly maxAliases: number;
  /** Directives per operation. `MAX_DIRECTIVES`, default 50. */
  readonly maxDirectives: number;
  /** Tokens in the document. `MAX_TOKENS`, default 5000. */
  readonly maxTokens: number;
  /**
   * Cost of an operation (see `operationCost`): objects 2, scalars 1, times 1.5 per level, times the page size a
   * connection asks for (`first`/`last` from literals, variables or defaults). `MAX_COST`, default 50000
   * (`search(first: 100)` with a few fields costs about 1500).
   */
  readonly maxCost: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxDepth: 12,
  maxAliases: 30,
  maxDirectives: 50,
  maxTokens: 5000,
  maxCost: 50_000,
};

export type LimitCode =
  | 'MAX_TOKENS_EXCEEDED'
  | 'MAX_DEPTH_EXCEEDED'
  | 'MAX_ALIASES_EXCEEDED'
  | 'MAX_DIRECTIVES_EXCEEDED'
  | 'MAX_COST_EXCEEDED';

/** A request refused by a limit: HTTP 400 with the limit's own code. */
export class LimitRefusal extends GraphQLError {
  constructor(
    readonly code: LimitCode,
    message: string,
  ) {
    super(message, { extensions: { code, http: { status: 400 } } });
    this.name = 'LimitRefusal';
  }
}

/**
 * How many tokens a document has, counting up to `max + 1` (so a huge document costs no more than the limit).
 * A document the lexer cannot read counts the tokens before the fault: the parser reports the syntax error.
 *
 * @example
 * countTokens('{ allSeries { id } }', 5000) // 5
 */
export function countTokens(query: string, max: number): number {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    while (count <= max && lexer.advance().kind !== TokenKind.EOF) count++;
  } catch {
    // A lexical error: the parse that follows reports it with its position.
  }
  return count;
}

/** The refusal for a document over the token limit, or null. */
export function checkTokens(query: string, limits: Pick<Limits, 'maxTokens'>): LimitRefusal | null {
  return countTokens(query, limits.maxTokens) > limits.maxTokens
    ? new LimitRefusal('MAX_TOKENS_EXCEEDED', `Token limit of ${limits.maxTokens} exceeded.`)
    : null;
}

const OBJECT_COST = 2;
const SCALAR_COST = 1;
const DEPTH_FACTOR = 1.5;

/**
 * The cost of the operation `operationName` (or the only one) of a valid document, with coerced variable values:
 * each field costs 1 (leaf) or 2 plus 1.5 times its selection (object), times the page size when the field takes
 * `first`/`last` (the value the resolver will see: a literal, a variable, a variable's default or the argument's
 * default; `last` without a written `first` ignores `first`'s default, as the resolvers do). Fragments count as the
 * fields they hold; `@skip`/`@include` are applied. Each fragment is costed once per request, so the walk is linear.
 *
 * @example
 * operationCost(schema, parse('query($n: Int) { speakers(first: $n) { nodes { id } } }'), undefined, { n: 100 })
 * // (2 + 1.5 * (2 + 1.5 * 1)) * 100 = 725
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>>,
): number {
  const operation = findOperation(document, operationName);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const fragmentCosts = new Map<string, number>();

  const included = (node: FieldNode | SelectionSetNode['selections'][number]): boolean => {
    if (!node.directives?.length) return true;
    if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
  };
  // The cost of a selection set's fields, each at one level below the set's owner (times 1.5 applied by the owner).
  const selectionCost = (set: SelectionSetNode, type: GraphQLCompositeType): number => {
    let cost = 0;
    for (const selection of set.selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) cost += fieldCost(selection, type);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition && schema.getType(selection.typeCondition.name.value);
        cost += selectionCost(selection.selectionSet, (condition as GraphQLCompositeType | undefined) ?? type);
      } else {
        const name = selection.name.value;
        let known = fragmentCosts.get(name);
        if (known === undefined) {
          const fragment = fragments.get(name);
          const condition = fragment && schema.getType(fragment.typeCondition.name.value);
          // Set before walking: validation refuses cycles, and this keeps a malformed one finite anyway.
          fragmentCosts.set(name, 0);
          known = fragment && condition ? selectionCost(fragment.selectionSet, condition as GraphQLCompositeType) : 0;
          fragmentCosts.set(name, known);
        }
        cost += known;
      }
    }
    return cost;
  };
  const fieldCost = (node: FieldNode, parent: GraphQLCompositeType): number => {
    if (!node.selectionSet) return SCALAR_COST;
    const def = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[node.name.value] : undefined;
    if (!def) return OBJECT_COST;
    const inner = selectionCost(node.selectionSet, getNamedType(def.type) as GraphQLCompositeType);
    return (OBJECT_COST + DEPTH_FACTOR * inner) * pageSize(def, node, variables);
  };
  return selectionCost(operation.selectionSet, root);
}

/** How many items a connection field can return, from its `first`/`last` as the resolver will see them. */
function pageSize(
  def: GraphQLField<unknown, unknown>,
  node: FieldNode,
  variables: Readonly<Record<string, unknown>>,
): number {
  if (!def.args.some((a) => a.name === 'first' || a.name === 'last')) return 1;
  let args: Record<string, unknown>;
  try {
    args = getArgumentValues(def, node, variables);
  } catch {
    // An argument that does not coerce: execution reports it; nothing is returned for it.
    return 1;
  }
  const count = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? Math.max(0, v) : null);
  const last = count(args.last);
  const firstWritten = node.arguments?.some((a) => a.name.value === 'first') ?? false;
  const first = last !== null && !firstWritten ? null : count(args.first);
  if (first === null && last === null) return 1;
  return Math.min(first ?? Infinity, last ?? Infinity);
}

/** As graphql-js's getOperationAST: a name given must match; none given means the only operation. */
function findOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName !== null && operationName !== undefined)
    return operations.find((o) => o.name?.value === operationName);
  return operations.length === 1 ? operations[0] : undefined;
}

/**
 * The cost limit as a check of one request: the refusal, or null. Variables are coerced first; when they do not
 * coerce, execution refuses the request anyway (400, BAD_USER_INPUT), so there is nothing to cost.
 */
export function checkCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Readonly<Record<string, unknown>> | null | undefined,
  maxCost: number,
): LimitRefusal | null {
  const operation = findOperation(document, operationName);
  if (!operation) return null;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {}, { maxErrors: 1 });
  if (coerced.errors) return null;
  const cost = operationCost(schema, document, operationName, coerced.coerced);
  return cost > maxCost ? costRefusal(maxCost, cost) : null;
}

/**
 * Whether an operation's cost can change with its variables: a `first`/`last` or a `@skip`/`@include` condition
 * written with a variable. When it cannot, the cost Apollo checked once holds for every repeat.
 *
 * @example
 * costVaries(parse('query($r: [_Any!]!) { _entities(representations: $r) { __typename } }')) // false
 */
export function costVaries(document: DocumentNode): boolean {
  let varies = false;
  visit(document, {
    Field(node) {
      const sized = node.arguments?.some(
        (a) => (a.name.value === 'first' || a.name.value === 'last') && mentionsVariable(a.value),
      );
      if (!sized) return undefined;
      varies = true;
      return BREAK;
    },
    Directive(node) {
      if (!node.arguments?.some((a) => mentionsVariable(a.value))) return undefined;
      varies = true;
      return BREAK;
    },
  });
  return varies;
}

function mentionsVariable(value: ValueNode): boolean {
  if (value.kind === Kind.VARIABLE) return true;
  if (value.kind === Kind.LIST) return value.values.some(mentionsVariable);
  if (value.kind === Kind.OBJECT) return value.fields.some((f) => mentionsVariable(f.value));
  return false;
}

export const costRefusal = (maxCost: number, cost: number): LimitRefusal =>
  new LimitRefusal('MAX_COST_EXCEEDED', `Query Cost limit of ${maxCost} exceeded, found ${Math.ceil(cost)}.`);

/**
 * Refuses operation types the schema has no root for (this subgraph serves queries only). graphql-js 16 leaves
 * this to execution, which reports it as an internal error; graphql-js 17 adds the same check as
 * `KnownOperationTypesRule`.
 */
export const KnownOperationTypesRule: ValidationRule = (context: ValidationContext) => ({
  OperationDefinition(node) {
    if (!context.getSchema().getRootType(node.operation)) {
      context.reportError(
        new GraphQLError(`This subgraph does not serve ${node.operation} operations: it serves queries only.`, {
          nodes: node,
        }),
      );
    }
  },
});

/**
 * Validation rules and the Apollo plugin that enforce the limits (tokens are checked by the HTTP pipeline, before
 * Apollo parses anything).
 *
 * @example
 * const { plugins, validationRules } = queryLimits(DEFAULT_LIMITS);
 * new ApolloServer({ schema, plugins, validationRules, formatError: formatErrorFor({ production }) });
 */
export function queryLimits(limits: Limits): { plugins: ApolloServerPlugin[]; validationRules: ValidationRule[] } {
  // Armor reports each refusal through `onReject`; ours carries the limit's code, so nothing reads messages.
  const refuse = (code: LimitCode) => ({
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(new LimitRefusal(code, error.message.replace(/^Syntax Error: /, ''))),
    ],
  });
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, ...refuse('MAX_DEPTH_EXCEEDED') },
    maxAliases: { n: limits.maxAliases, ...refuse('MAX_ALIASES_EXCEEDED') },
    maxDirectives: { n: limits.maxDirectives, ...refuse('MAX_DIRECTIVES_EXCEEDED') },
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  });
  const { validationRules } = armor.protect();
  const cost: ApolloServerPlugin = {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request }) {
          // Thrown from here, a GraphQLError is the response, with the status in its extensions (400).
          const refusal = checkCost(schema, document, request.operationName, request.variables, limits.maxCost);
          if (refusal) throw refusal;
        },
      };
    },
  };
  return { plugins: [cost], validationRules: [KnownOperationTypesRule, ...validationRules] };
}

const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/**
 * Apollo's `formatError`: a limit's refusal keeps its own code (Apollo files validation errors under
 * GRAPHQL_VALIDATION_FAILED), and in production no message suggests a name ("Did you mean …?" in validation and in
 * variable coercion alike), so a schema whose introspection is off cannot be mapped by typos.
 *
 * @example
 * new ApolloServer({ schema, formatError: formatErrorFor({ production: true }) })
 */
export function formatErrorFor(options: {
  production: boolean;
}): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => {
    const original = (error as { originalError?: unknown } | null)?.originalError;
    const refusal = error instanceof LimitRefusal ? error : original instanceof LimitRefusal ? original : null;
    let out = formatted;
    if (refusal) out = { ...out, extensions: { ...out.extensions, code: refusal.code } };
    // The archive's backend failing (its database lost) is not a bug: say so, and not how it failed.
    if (original instanceof ArchiveUnavailableError) {
      out = { message: original.message, ...(out.path ? { path: out.path } : {}), extensions: { code: original.code } };
    }
    if (options.production) {
      const message = out.message.replace(SUGGESTION, '');
      if (message !== out.message) out = { ...out, message };
    }
    return out;
  };
}
