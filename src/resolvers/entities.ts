/**
 * Representations a router sends to `_entities` are checked against the `@key`s of the type they name before any
 * `__resolveReference` sees them. `@apollo/subgraph`'s resolver trusts them: an unknown `__typename` fails the
 * whole field and a missing key field reaches our resolvers as `undefined`, both reported as internal errors. Here
 * a representation that cannot be a key of its type is a `BAD_USER_INPUT` error at its own index (the others still
 * resolve, as a router expects: one null and one error per bad representation).
 */
import {
  getNamedType,
  GraphQLError,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

import type { Context, Loaders } from '../context.js';
import { REFERENCES } from './references.js';

/** Why a representation cannot be a key, or null when it can. */
type Check = (representation: unknown) => string | null;

export interface EntitiesOptions {
  /**
   * Resolve representations of the archive's entity types in one synchronous pass over it (default on). Off, every
   * representation goes through `__resolveReference` and the request's DataLoaders, as @apollo/subgraph does it:
   * the reference the fast path is tested against.
   */
  readonly fast?: boolean;
}

/**
 * Replaces the schema's `_entities` resolver by one that checks each representation first, then resolves the
 * batch (in place: call once on the schema `buildSubgraphSchema` made).
 *
 * The fast path: a router's `_entities` call with a thousand representations is, through @apollo/subgraph, a
 * thousand DataLoader promises and as many async `__typename` steps. Here each representation of a type in
 * REFERENCES is looked up in the request's archive at once, and the list comes back with no promise in it (the
 * records carry `__typename`, so the union resolves them directly). A type it does not cover still goes through
 * @apollo/subgraph's resolver and its `__resolveReference`. A differential test holds the two paths to the same
 * answers.
 *
 * @example
 * const schema = buildSubgraphSchema(modules);
 * guardEntities(schema);
 */
export function guardEntities(schema: GraphQLSchema, options: EntitiesOptions = {}): void {
  const field = schema.getQueryType()?.getFields()._entities;
  const resolve = field?.resolve;
  if (!field || !resolve) return;
  const check = representationCheck(schema);
  const fast = options.fast ?? true;
  const guarded: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) => {
    const representations = (args as { representations: readonly unknown[] }).representations;
    const { archive, onBatch } = context as Partial<Context>;
    const out: unknown[] = new Array(representations.length);
    let slow: number[] | null = null;
    let counts: Map<string, number> | null = null;
    for (let i = 0; i < representations.length; i++) {
      const representation = representations[i] as Record<string, unknown>;
      const problem = check(representation);
      if (problem !== null) {
        out[i] = new GraphQLError(`Representation ${i} ${problem}`, {
          extensions: { code: 'BAD_USER_INPUT', representationIndex: i },
        });
        continue;
      }
      const reference = fast && archive ? REFERENCES[representation.__typename as string] : undefined;
      if (reference) {
        out[i] = reference.byId(archive!).get(reference.id(representation)) ?? null;
        if (onBatch) (counts ??= new Map()).set(reference.loader, (counts.get(reference.loader) ?? 0) + 1);
      } else (slow ??= []).push(i);
    }
    // One look-up pass per type, reported as the DataLoaders report their batches.
    if (counts) for (const [type, size] of counts) onBatch!(type as keyof Loaders, size);
    if (slow) {
      const resolved = resolve(
        source,
        { ...args, representations: slow.map((i) => representations[i]) },
        context,
        info,
      ) as unknown[];
      slow.forEach((i, k) => (out[i] = resolved[k]));
    }
    return out;
  };
  field.resolve = guarded;
}

/**
 * The check for one representation: an object whose `__typename` names an entity type of this schema, holding
 * every field of at least one of the type's `@key`s with a value of the field's type.
 */
export function representationCheck(schema: GraphQLSchema): Check {
  const keysByType = new Map<string, { readonly type: GraphQLObjectType; readonly keys: readonly Check[] }>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type)) continue;
    const keys = (type.astNode?.directives ?? []).flatMap((d) => {
      if (d.name.value !== 'key') return [];
      const fields = d.arguments?.find((a) => a.name.value === 'fields')?.value;
      if (fields?.kind !== Kind.STRING) return [];
      const operation = parse(`{ ${fields.value} }`, { noLocation: true }).definitions[0] as OperationDefinitionNode;
      return [selectionCheck(type, operation.selectionSet)];
    });
    if (keys.length > 0) keysByType.set(type.name, { type, keys });
  }
  return (representation) => {
    if (typeof representation !== 'object' || representation === null || Array.isArray(representation)) {
      return 'is not an object.';
    }
    const typename = (representation as { __typename?: unknown }).__typename;
    if (typeof typename !== 'string') return 'has no "__typename".';
    const entity = keysByType.get(typename);
    if (!entity)
      return `names ${JSON.stringify(typename.slice(0, 100))}, which is not an entity type of this subgraph.`;
    // Most representations satisfy their type's first key: check it alone before collecting reasons.
    if (entity.keys[0]!(representation) === null) return null;
    const reasons = entity.keys.map((key) => key(representation));
    if (reasons.some((r) => r === null)) return null;
    return reasons.length === 1
      ? `is not a key of ${typename}: ${reasons[0]}`
      : `matches none of ${typename}'s keys: ${reasons.map((r) => r!.replace(/\.$/, '')).join('; ')}.`;
  };
}

/**
 * The check for one `@key`'s field set on `type`: each field present, of the right kind, nested sets recursively.
 * Reasons name the field by its path in the representation (`"series.id" is missing.`).
 */
function selectionCheck(type: GraphQLObjectType, set: SelectionSetNode, prefix = ''): Check {
  const fields = set.selections.flatMap((selection) => {
    if (selection.kind !== Kind.FIELD) return [];
    const path = `${prefix}${selection.name.value}`;
    const fieldType = getNamedType(type.getFields()[selection.name.value]?.type);
    let check: Check = () => null;
    if (selection.selectionSet && isObjectType(fieldType)) {
      const inner = selectionCheck(fieldType, selection.selectionSet, `${path}.`);
      check = (v) =>
        typeof v !== 'object' || v === null || Array.isArray(v) ? `"${path}" is not an object.` : inner(v);
    } else if (isScalarType(fieldType)) {
      const kind = scalarCheck(fieldType.name);
      check = (v) => (kind(v) ? null : `"${path}" is not ${SCALAR_NOUNS[fieldType.name] ?? 'valid'}.`);
    }
    return [{ name: selection.name.value, path, check }];
  });
  return (value) => {
    for (const { name, path, check } of fields) {
      const field = (value as Record<string, unknown>)[name];
      if (field === undefined || field === null) return `"${path}" is missing.`;
      const problem = check(field);
      if (problem !== null) return problem;
    }
    return null;
  };
}

const SCALAR_NOUNS: Readonly<Record<string, string>> = {
  ID: 'an ID (a string or an integer)',
  String: 'a string',
  Int: 'an integer',
  Float: 'a number',
  Boolean: 'a boolean',
};

/** Whether a value may stand for a key field of a built-in scalar (`ID` takes strings and integers). */
function scalarCheck(name: string): (value: unknown) => boolean {
  switch (name) {
    case 'ID':
      return (v) => typeof v === 'string' || Number.isInteger(v);
    case 'String':
      return (v) => typeof v === 'string';
    case 'Int':
      return (v) => Number.isInteger(v);
    case 'Float':
      return (v) => typeof v === 'number';
    case 'Boolean':
      return (v) => typeof v === 'boolean';
    default:
      return () => true;
  }
}
