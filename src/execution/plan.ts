/**
 * A planned executor for operations the reference executor (graphql-js, run by Apollo Server) has already
 * accepted. An operation is turned once into a tree of closures, one per field: which resolver, which
 * arguments (computed once per request, not once per object as graphql-js does), how to complete the value.
 * Running the plan then does only the work that depends on the data.
 *
 * No code is generated from the query (no `new Function`, unlike graphql-jit): the plan is plain closures.
 *
 * It covers the happy path only and says so: anything it does not handle exactly like graphql-js (a field
 * error, a null in a non-null position, a directive with a variable condition, introspection, a mutation)
 * makes it bail out, and the caller runs the request through the reference executor instead. Queries are
 * read-only, so running one again after a bail-out is safe. A differential test holds it to graphql-js.
 * Why, with measurements: docs/architecture.md#planned-execution.
 */
import {
  defaultFieldResolver,
  defaultTypeResolver,
  getArgumentValues,
  getVariableValues,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  typeFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLAbstractType,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/** Thrown inside a plan when the request must go to the reference executor; never escapes `runPlan`. */
class Bail extends Error {}

/** What a plan needs at run time, one per request. */
interface Run {
  /** The plan's fixed parts, for the resolve infos a run builds. */
  readonly planning: Planning;
  readonly contextValue: unknown;
  readonly variableValues: Record<string, unknown>;
  /** Per field plan: its arguments and its resolve info for this request, made on first use. */
  readonly args: (Record<string, unknown> | undefined)[];
  readonly infos: (GraphQLResolveInfo | undefined)[];
  /** Entity views are read and written only when the caller gives a budget. */
  readonly views: ViewBudget | null;
  /** How many `RawJson`s (kept views) this run put into its result. */
  rawJson: number;
}

type Complete = (value: unknown, run: Run, field: FieldPlan) => unknown;

interface FieldPlan {
  readonly id: number;
  readonly key: string;
  /** The field's name (the key may be an alias). */
  readonly name: string;
  readonly nodes: readonly FieldNode[];
  readonly parentType: GraphQLObjectType;
  /** `__typename`: the parent type's name, no resolver. */
  readonly typename: string | null;
  readonly def: GraphQLField<unknown, unknown> | null;
  readonly resolve: GraphQLFieldResolver<unknown, unknown> | null;
  /** Arguments when they do not depend on variables (most fields): computed once, at planning. */
  readonly staticArgs: Record<string, unknown> | null;
  readonly complete: Complete;
}

interface ObjectPlan {
  readonly fields: readonly FieldPlan[];
  /**
   * Views of entities under this selection, as JSON, per archive (its budget object) and by entity key; null when
   * the selection cannot have them (not an entity type, or a variable somewhere below: the same entity could then
   * complete differently).
   */
  readonly views: WeakMap<ViewBudget, Map<unknown, Buffer>> | null;
}

/**
 * JSON already written: a completed entity as kept in an object plan's views, whose bytes `jsonBytes` copies as
 * they are. Entities in this subgraph are archive records, immutable until the archive is replaced, so one selection
 * over one record always completes to the same JSON.
 */
export class RawJson {
  constructor(readonly bytes: Buffer) {}
}

/** What keeping one view costs beyond its bytes: the Buffer and its backing store, the map entry. */
export const VIEW_OVERHEAD_BYTES = 384;

/**
 * A copy with a backing store of its own. Small Buffers are slices of Node's shared 8 KB pool, and a kept slice
 * keeps its whole pool slab alive: a 100-byte view could hold 8 KB.
 */
export function ownBytes(bytes: Buffer): Buffer {
  const own = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(own);
  return own;
}

/**
 * How many more bytes of entity views may be kept; one per archive, shared by every plan. `keyOf` names an entity
 * stably across requests (records made on demand, such as turns, are new objects each time); by default the
 * object itself.
 */
export interface ViewBudget {
  remaining: number;
  readonly keyOf?: (entity: object) => unknown;
}

/** A planned operation, reusable across requests and archives (it holds only the schema and the document). */
export interface Plan {
  readonly schema: GraphQLSchema;
  readonly operation: OperationDefinitionNode;
  readonly planning: Planning;
  /** How many field plans there are: the size of a run's per-field arrays. */
  readonly fieldCount: number;
  /** Executes the root selection (Apollo Server passes no root value, so neither does this). */
  readonly execute: (run: Run) => unknown;
}

/** When `rawJson` is not 0, `data` holds `RawJson`s: write it with `jsonBytes`, not JSON.stringify. */
export type PlanResult =
  { readonly ok: true; readonly data: Record<string, unknown>; readonly rawJson: number } | { readonly ok: false };

const BAILED: PlanResult = { ok: false };

const isPromise = (value: unknown): value is Promise<unknown> =>
  typeof (value as { then?: unknown } | null | undefined)?.then === 'function';

/**
 * What planning one operation reads: the schema, the operation and the document's fragments (fixed), and a counter
 * that numbers field plans (a run keeps per-field arguments and infos by that number). Runs read it too, for the
 * resolve infos they build.
 */
interface Planning {
  readonly schema: GraphQLSchema;
  readonly operation: OperationDefinitionNode;
  readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>;
  fieldCount: number;
}

/**
 * Plans `operationName` (or the only operation) of a document that already passed validation against `schema`.
 * Returns null for what the plan does not cover: mutations and subscriptions, introspection (`__schema`,
 * `__type`), and `@skip`/`@include` whose condition is a variable.
 *
 * @example
 * const plan = planOperation(schema, parse('{ allSeries { id } }'));
 * const result = await runPlan(plan!, createContext(archive), {}); // { ok: true, data: { allSeries: [...] } }
 */
export function planOperation(schema: GraphQLSchema, document: DocumentNode, operationName?: string): Plan | null {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  // As graphql-js's getOperationAST: any name given, even "", must match; none given means the only operation.
  const operation =
    operationName !== undefined
      ? operations.find((o) => o.name?.value === operationName)
      : operations.length === 1
        ? operations[0]
        : undefined;
  const queryType = schema.getQueryType();
  if (!operation || operation.operation !== 'query' || !queryType) return null;
  const fragments: Record<string, FragmentDefinitionNode> = Object.create(null);
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const planning: Planning = { schema, operation, fragments, fieldCount: 0 };
  try {
    const root = planObject(planning, queryType, [operation.selectionSet]);
    return {
      schema,
      operation,
      planning,
      fieldCount: planning.fieldCount,
      execute: (run) => executeObject(root, undefined, run),
    };
  } catch (error) {
    if (error instanceof Bail) return null;
    throw error;
  }
}

/**
 * The fields a selection selects on `type`, grouped by response key, with fragments and `@skip`/`@include` applied:
 * graphql-js's `collectFields` (execution/collectFields.ts), which graphql 16 does not export.
 */
function collectFields(
  planning: Planning,
  type: GraphQLObjectType,
  sets: readonly SelectionSetNode[],
): Map<string, FieldNode[]> {
  const fields = new Map<string, FieldNode[]>();
  const visited = new Set<string>();
  const walk = (set: SelectionSetNode): void => {
    for (const selection of set.selections) {
      if (!included(selection.directives)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const group = fields.get(key);
        if (group) group.push(selection);
        else fields.set(key, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (!selection.typeCondition || matches(planning.schema, selection.typeCondition.name.value, type))
          walk(selection.selectionSet);
      } else {
        const name = selection.name.value;
        if (visited.has(name)) continue;
        visited.add(name);
        const fragment = planning.fragments[name];
        if (fragment && matches(planning.schema, fragment.typeCondition.name.value, type)) walk(fragment.selectionSet);
      }
    }
  };
  for (const set of sets) walk(set);
  return fields;
}

/** The plan of a selection on an object type: one field plan per response key (graphql-js's `executeFields`). */
function planObject(planning: Planning, type: GraphQLObjectType, sets: readonly SelectionSetNode[]): ObjectPlan {
  const collected = collectFields(planning, type, sets);
  const entity = type.astNode?.directives?.some((d) => d.name.value === 'key') ?? false;
  // Views pay where completing an entity is real work: a selection that goes deeper than its own scalars. A
  // view of `{ id }` costs more than it saves, and makes the whole answer go through `jsonBytes`.
  const deep = [...collected.values()].some((nodes) => nodes.some((n) => n.selectionSet !== undefined));
  const views =
    entity && deep && !sets.some((set) => usesVariables(set, planning.fragments, new Set())) ? new WeakMap() : null;
  const fields = [...collected].map(([key, nodes]) => planField(planning, type, key, nodes));
  return { fields, views };
}

/** The plan of one field: which resolver, which arguments when they are fixed, how to complete its value. */
function planField(planning: Planning, type: GraphQLObjectType, key: string, nodes: FieldNode[]): FieldPlan {
  const name = nodes[0]!.name.value;
  // An alias `__proto__` would set the prototype of a plain result object: left to graphql-js.
  if (key === '__proto__') throw new Bail();
  const base = { id: planning.fieldCount++, key, name, nodes, parentType: type };
  if (name === '__typename') {
    return { ...base, typename: type.name, def: null, resolve: null, staticArgs: null, complete: (v) => v };
  }
  // Introspection is left to the reference executor (and is off in production anyway).
  if (name.startsWith('__')) throw new Bail();
  const def = type.getFields()[name];
  if (!def) throw new Bail();
  const subsets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
  const argsUseVariables = (nodes[0]!.arguments ?? []).some((a) => hasVariable(a.value));
  return {
    ...base,
    typename: null,
    def,
    resolve: def.resolve ?? null,
    // Shared by every request that runs this plan: frozen, so a resolver that wrote to its arguments would
    // throw (and the request go to Apollo) instead of changing them for the next request.
    staticArgs: argsUseVariables ? null : deepFreeze(getArgumentValues(def, nodes[0]!, {})),
    complete: planCompletion(planning, def.type, subsets),
  };
}

/**
 * How to complete a value of `type` (graphql-js's `completeValue`): promises awaited first, then null checked
 * against non-null (a null where none may be is graphql-js's to report: bail), then the nullable type's completion.
 */
function planCompletion(planning: Planning, type: GraphQLOutputType, sets: readonly SelectionSetNode[]): Complete {
  const nonNull = isNonNullType(type);
  const complete = planNullableCompletion(planning, nonNull ? type.ofType : type, sets);
  const settled: Complete = (value, run, field) => {
    if (value === null || value === undefined) {
      if (nonNull) throw new Bail();
      return null;
    }
    return complete(value, run, field);
  };
  return (value, run, field) =>
    isPromise(value) ? value.then((v) => settled(v, run, field)) : settled(value, run, field);
}

/** Completes a settled value known not to be null: a list, a leaf, an object, or an abstract type's object. */
function planNullableCompletion(
  planning: Planning,
  type: GraphQLOutputType,
  sets: readonly SelectionSetNode[],
): Complete {
  if (isListType(type)) {
    const item = planCompletion(planning, type.ofType, sets);
    return (value, run, field) => completeList(value, item, run, field);
  }
  if (isLeafType(type)) return (value) => serialize(type, value);
  if (isObjectType(type)) {
    const plan = planObject(planning, type, sets);
    return (value, run) => completeObject(type, plan, value, run);
  }
  return planAbstractCompletion(planning, type as GraphQLAbstractType, sets);
}

/**
 * Unions and interfaces (graphql-js's `completeAbstractValue`): the runtime type from `resolveType`, then that
 * type's object plan, made when the type first shows up.
 */
function planAbstractCompletion(
  planning: Planning,
  abstract: GraphQLAbstractType,
  sets: readonly SelectionSetNode[],
): Complete {
  const { schema } = planning;
  const resolveType = abstract.resolveType ?? defaultTypeResolver;
  const runtimes = new Map<string, { type: GraphQLObjectType; plan: ObjectPlan }>();
  const asRuntime = (name: unknown, value: unknown, run: Run): unknown => {
    let runtime = typeof name === 'string' ? runtimes.get(name) : undefined;
    if (!runtime) {
      const found = typeof name === 'string' ? schema.getType(name) : null;
      if (!found || !isObjectType(found) || !schema.isSubType(abstract, found)) throw new Bail();
      runtime = { type: found, plan: planObject(planning, found, sets) };
      runtimes.set(found.name, runtime);
    }
    return completeObject(runtime.type, runtime.plan, value, run);
  };
  // The value is settled here: `planCompletion` awaits promises before calling this.
  return (value, run, field) => {
    if (value instanceof Error) throw new Bail();
    const name = resolveType(value, run.contextValue, resolveInfo(field, run), abstract);
    return isPromise(name) ? name.then((n) => asRuntime(n, value, run)) : asRuntime(name, value, run);
  };
}

/** A field's resolve info for this run, built on first use (graphql-js's `buildResolveInfo`). */
function resolveInfo(field: FieldPlan, run: Run): GraphQLResolveInfo {
  let info = run.infos[field.id];
  if (info === undefined) {
    const { schema, fragments, operation } = run.planning;
    info = {
      fieldName: field.name,
      fieldNodes: field.nodes,
      returnType: field.def!.type,
      parentType: field.parentType,
      // One path per field rather than per list item: nothing here reads it, and building one per object
      // is a large part of what graphql-js spends.
      path: { prev: undefined, key: field.key, typename: field.parentType.name },
      schema,
      fragments,
      rootValue: undefined,
      operation,
      variableValues: run.variableValues,
      // Declared through module augmentation by tooling (@graphql-tools), not by graphql-js 16 itself.
    } as GraphQLResolveInfo;
    run.infos[field.id] = info;
  }
  return info;
}

/** graphql-js's `completeObjectValue`: `isTypeOf` where a type has one, then the object's fields. */
function completeObject(type: GraphQLObjectType, plan: ObjectPlan, source: unknown, run: Run): unknown {
  if (source instanceof Error) throw new Bail();
  if (type.isTypeOf) {
    const { schema, fragments, operation } = run.planning;
    // isTypeOf gets an info too; no type in this schema defines isTypeOf, so this is only for completeness.
    const info = { schema, fragments, operation, variableValues: run.variableValues, parentType: type };
    const ok = type.isTypeOf(source, run.contextValue, info as GraphQLResolveInfo);
    if (isPromise(ok) || !ok) throw new Bail();
  }
  return executeObject(plan, source, run);
}

/**
 * An object's fields, or its view: under a selection that has views, an entity completed before (in this archive)
 * is its kept JSON, and one completed now is kept while the archive's budget lasts.
 */
function executeObject(plan: ObjectPlan, source: unknown, run: Run): unknown {
  if (plan.views === null || run.views === null || typeof source !== 'object' || source === null)
    return completeFields(plan, source, run);
  run.rawJson++;
  let kept = plan.views.get(run.views);
  if (!kept) plan.views.set(run.views, (kept = new Map()));
  const key = run.views.keyOf ? run.views.keyOf(source) : source;
  const view = kept.get(key);
  if (view !== undefined) return new RawJson(view);
  const out = completeFields(plan, source, run);
  if (isPromise(out)) {
    run.rawJson--;
    return out;
  }
  // Kept as UTF-8 bytes: an answer made of views is then assembled by copying bytes, with no string to walk
  // and encode again (a 9 KB segment answer built by string concatenation took 55 µs to encode).
  const bytes = jsonBytes(out);
  const cost = bytes.length + VIEW_OVERHEAD_BYTES;
  if (run.views.remaining >= cost) {
    run.views.remaining -= cost;
    kept.set(key, ownBytes(bytes));
  }
  return new RawJson(bytes);
}

/** Resolves and completes each field of an object, in order (graphql-js's `executeFields`). */
function completeFields(plan: ObjectPlan, source: unknown, run: Run): unknown {
  // A plain object, unlike graphql-js's Object.create(null): V8 gives objects built in the same key order one
  // hidden class, and JSON.stringify takes its fast path on them (dictionary-mode objects it does not).
  // `__proto__` is never a key here (see planField), so this cannot set a prototype.
  const out: Record<string, unknown> = {};
  let pending: Promise<unknown>[] | null = null;
  try {
    for (const field of plan.fields) {
      if (field.typename !== null) {
        out[field.key] = field.typename;
        continue;
      }
      const args = field.staticArgs ?? argumentsOf(field, run);
      const value = field.resolve
        ? field.resolve(source, args, run.contextValue, resolveInfo(field, run))
        : resolveDefault(source, field, args, run);
      if (value instanceof Error) throw new Bail();
      const completed = field.complete(value, run, field);
      out[field.key] = completed;
      if (isPromise(completed)) (pending ??= []).push(completed.then((v) => (out[field.key] = v)));
    }
  } catch (error) {
    // Promises already started must not turn into unhandled rejections once this request bails out.
    for (const p of pending ?? []) p.catch(() => undefined);
    throw error;
  }
  return pending ? Promise.all(pending).then(() => out) : out;
}

/** graphql-js's `defaultFieldResolver`, without building an info unless a method asks for one. */
function resolveDefault(source: unknown, field: FieldPlan, args: Record<string, unknown>, run: Run): unknown {
  if ((typeof source !== 'object' || source === null) && typeof source !== 'function') return undefined;
  const property = (source as Record<string, unknown>)[field.name];
  if (typeof property === 'function')
    return defaultFieldResolver(source, args, run.contextValue, resolveInfo(field, run));
  return property;
}

/**
 * Arguments with variables: computed once per request and shared by every object the field resolves on (graphql-js
 * computes them per object). No resolver here writes to its arguments. They are not frozen: `_entities` would
 * then pay for freezing every representation of every request.
 */
function argumentsOf(field: FieldPlan, run: Run): Record<string, unknown> {
  let args = run.args[field.id];
  if (!args) {
    try {
      args = getArgumentValues(field.def!, field.nodes[0]!, run.variableValues);
    } catch {
      throw new Bail();
    }
    run.args[field.id] = args;
  }
  return args;
}

/**
 * Runs a plan; with a view budget, entities completed before under the same selection are reused as JSON.
 * `{ ok: false }` means "run this request through the reference executor": a variable did not
 * coerce, a resolver threw or returned an error, or a value broke its type. It never rejects.
 *
 * @example
 * const result = await runPlan(plan, createContext(archive), { id: 'ep3' });
 * if (result.ok) send(JSON.stringify({ data: result.data }));
 */
export function runPlan(
  plan: Plan,
  contextValue: unknown,
  rawVariables: Readonly<Record<string, unknown>> | null | undefined,
  views: ViewBudget | null = null,
): PlanResult | Promise<PlanResult> {
  try {
    const coerced = getVariableValues(plan.schema, plan.operation.variableDefinitions ?? [], rawVariables ?? {}, {
      maxErrors: 1,
    });
    if (coerced.errors) return BAILED;
    const run: Run = {
      planning: plan.planning,
      contextValue,
      variableValues: coerced.coerced,
      args: new Array(plan.fieldCount),
      infos: new Array(plan.fieldCount),
      views,
      rawJson: 0,
    };
    const data = plan.execute(run);
    if (isPromise(data))
      return data.then(
        (d) => ({ ok: true, data: d as Record<string, unknown>, rawJson: run.rawJson }) as const,
        () => BAILED,
      );
    return { ok: true, data: data as Record<string, unknown>, rawJson: run.rawJson };
  } catch {
    return BAILED;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** Whether a value (an argument, possibly nested in lists and objects) mentions a variable. */
function hasVariable(value: ValueNode): boolean {
  if (value.kind === Kind.VARIABLE) return true;
  if (value.kind === Kind.LIST) return value.values.some(hasVariable);
  if (value.kind === Kind.OBJECT) return value.fields.some((f) => hasVariable(f.value));
  return false;
}

/** `@skip`/`@include` with literal conditions; a variable condition makes the operation unplannable. */
function included(
  directives:
    | readonly { name: { value: string }; arguments?: readonly { name: { value: string }; value: ValueNode }[] }[]
    | undefined,
): boolean {
  for (const directive of directives ?? []) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const condition = directive.arguments?.find((a) => a.name.value === 'if')?.value;
    if (!condition || condition.kind !== Kind.BOOLEAN) throw new Bail();
    if (condition.value === (name === 'skip')) return false;
  }
  return true;
}

/** graphql-js's doesFragmentConditionMatch. */
function matches(schema: GraphQLSchema, typeName: string, type: GraphQLObjectType): boolean {
  const condition = typeFromAST(schema, { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: typeName } });
  if (condition === type) return true;
  return condition !== undefined && isAbstractType(condition) && schema.isSubType(condition, type);
}

/** graphql-js's `completeListValue`: each item completed; promises, if any, awaited together. */
function completeList(value: unknown, item: Complete, run: Run, field: FieldPlan): unknown {
  if (value === null || typeof value !== 'object' || !(Symbol.iterator in value)) throw new Bail();
  const out: unknown[] = [];
  let async = false;
  for (const v of value as Iterable<unknown>) {
    const completed = item(v, run, field);
    if (!async && isPromise(completed)) async = true;
    out.push(completed);
  }
  // Promise.all subscribes to every item, so a rejection after the first is handled too (none goes unhandled).
  return async ? Promise.all(out) : out;
}

function serialize(type: Parameters<typeof isLeafType>[0], value: unknown): unknown {
  if (value instanceof Error) throw new Bail();
  const serialized = (type as { serialize(v: unknown): unknown }).serialize(value);
  // graphql-js refuses a leaf that serializes to null or undefined.
  if (serialized === null || serialized === undefined) throw new Bail();
  return serialized;
}

/** Whether a selection (through its fragments) mentions a variable anywhere: in an argument or a directive. */
function usesVariables(
  set: SelectionSetNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  seen: Set<string>,
): boolean {
  for (const selection of set.selections) {
    if (selection.directives?.some((d) => d.arguments?.some((a) => hasVariable(a.value)))) return true;
    if (selection.kind === Kind.FIELD) {
      if (selection.arguments?.some((a) => hasVariable(a.value))) return true;
      if (selection.selectionSet && usesVariables(selection.selectionSet, fragments, seen)) return true;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (usesVariables(selection.selectionSet, fragments, seen)) return true;
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments[selection.name.value];
      if (fragment && usesVariables(fragment.selectionSet, fragments, seen)) return true;
    }
  }
  return false;
}

/**
 * JSON.stringify for completed results that may hold `RawJson`s, as UTF-8: the same text JSON.stringify would
 * write for the same values (results hold only plain objects, arrays, strings, finite numbers, booleans and null),
 * with each fragment's bytes copied in.
 *
 * @example
 * jsonBytes({ a: [new RawJson(Buffer.from('{"id":"x"}')), null] }).toString() // '{"a":[{"id":"x"},null]}'
 */
export function jsonBytes(value: unknown, prefix = '', suffix = ''): Buffer {
  // Parts in order: text between fragments, and fragments' bytes. Measured first, then written once into one
  // Buffer: encoding each text part into a Buffer of its own and concatenating cost more than the answer's bytes.
  const parts: (string | Buffer)[] = [];
  let text = prefix;
  const write = (v: unknown): void => {
    if (v === null || v === undefined) {
      text += 'null';
    } else if (typeof v !== 'object') {
      text += JSON.stringify(v);
    } else if (v instanceof RawJson) {
      if (text !== '') parts.push(text);
      parts.push(v.bytes);
      text = '';
    } else if (Array.isArray(v)) {
      text += '[';
      for (let i = 0; i < v.length; i++) {
        if (i > 0) text += ',';
        write(v[i]);
      }
      text += ']';
    } else {
      text += '{';
      let first = true;
      for (const key in v) {
        const item = (v as Record<string, unknown>)[key];
        if (item === undefined) continue;
        text += (first ? '' : ',') + JSON.stringify(key) + ':';
        first = false;
        write(item);
      }
      text += '}';
    }
  };
  write(value);
  text += suffix;
  if (text !== '') parts.push(text);
  if (parts.length === 1) return typeof parts[0] === 'string' ? Buffer.from(parts[0], 'utf8') : parts[0]!;
  let length = 0;
  for (const part of parts) length += typeof part === 'string' ? Buffer.byteLength(part, 'utf8') : part.length;
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (const part of parts) {
    if (typeof part === 'string') at += out.write(part, at, 'utf8');
    else {
      out.set(part, at);
      at += part.length;
    }
  }
  return out;
}
