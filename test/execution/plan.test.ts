/**
 * The planned executor against graphql-js: random operations over the whole schema (aliases, fragments, merged
 * fields, literal and variable arguments, unions, directives, errors) must give byte-identical JSON, or bail out
 * exactly when graphql-js reports an error.
 */
import fc from 'fast-check';
import {
  buildSchema,
  execute,
  getNamedType,
  isNonNullType,
  isObjectType,
  isUnionType,
  parse,
  validate,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadArchive } from '../../src/archive/index.js';
import type { Archive } from '../../src/archive/types.js';
import { createContext } from '../../src/context.js';
import { RawJson, jsonBytes, planOperation, runPlan } from '../../src/execution/plan.js';

const toJson = (value: unknown): string => jsonBytes(value).toString('utf8');
import { createSchema } from '../../src/schema.js';
import { makeCorpus, type Corpus } from '../helpers/corpus.js';

let corpus: Corpus;
let archive: Archive;
let schema: GraphQLSchema;
beforeAll(async () => {
  corpus = makeCorpus();
  archive = await loadArchive(corpus.dir);
  schema = createSchema();
});
afterAll(() => corpus.cleanup());

/** mulberry32: the operation generator is a deterministic walk from one seed, so fast-check shrinks the seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Operation {
  readonly query: string;
  readonly variables: Record<string, unknown>;
}

/** A random valid operation: the walk picks fields, arguments (inline or as variables), aliases and fragments. */
function randomOperation(seed: number): Operation {
  const r = rng(seed);
  const chance = (p: number) => r() < p;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const ids: Record<string, string[]> = {
    series: archive.series.map((s) => s.id),
    episode: archive.episodes.map((e) => e.id),
    segment: archive.segments.map((s) => s.id),
    turn: archive.turns.slice().map((t) => t.id),
    speaker: archive.speakers.map((s) => s.id),
  };
  const words = ['graph', 'federation', 'the', 'cosmo', 'router', '"boring tech"', 'zzz'];
  const variables: Record<string, unknown> = {};
  const definitions: string[] = [];
  const fragments: string[] = [];
  let counter = 0;

  const argument = (field: GraphQLField<unknown, unknown>, name: string, type: string): string | null => {
    let value: unknown;
    if (name === 'id') value = chance(0.1) ? 'nobody-here' : pick(ids[field.name] ?? ['x']);
    else if (name === 'query') value = pick(words);
    else if (name === 'format') value = pick(['WEBVTT', 'SRT', 'JSON', 'TEXT']);
    else if (name === 'seconds') value = Math.round(r() * 3000);
    else if (name === 'first' || name === 'last') value = Math.floor(r() * 4);
    else if (name === 'after') value = chance(0.8) ? null : 'not-a-cursor';
    else if (name === 'representations') {
      const types = ['Series', 'Episode', 'Segment', 'Turn', 'Speaker'];
      value = Array.from({ length: 1 + Math.floor(r() * 5) }, () => {
        const t = pick(types);
        return { __typename: t, id: chance(0.1) ? 'nobody-here' : pick(ids[t.toLowerCase()]!) };
      });
    } else return null;
    if (chance(0.5) || name === 'representations') {
      const variable = `v${counter++}`;
      variables[variable] = value;
      definitions.push(`$${variable}: ${type}`);
      return `${name}: $${variable}`;
    }
    // Enum values are written bare.
    return `${name}: ${name === 'format' ? (value as string) : JSON.stringify(value)}`;
  };

  // `unique` aliases every field: union members' fields share response keys, and validation refuses the same key
  // with different types on two members (Segment.turns is a list, Episode.turns a connection).
  const selection = (type: GraphQLObjectType, depth: number, unique = false): string => {
    const fields = Object.values(type.getFields()).filter((f) => f.name !== '_service');
    const parts: string[] = [];
    if (chance(0.2)) parts.push('__typename');
    const count = 1 + Math.floor(r() * Math.min(4, fields.length));
    for (let i = 0; i < count; i++) {
      const field = pick(fields);
      const named = getNamedType(field.type);
      const leaf = !isObjectType(named) && !isUnionType(named);
      if (!leaf && depth >= 4) continue;
      const args: string[] = [];
      let skip = false;
      for (const arg of field.args) {
        if (!isNonNullType(arg.type) && chance(0.6)) continue;
        if (arg.name === 'filter' || arg.name === 'before') continue;
        const text = argument(field, arg.name, String(arg.type));
        if (text === null) skip = isNonNullType(arg.type) || skip;
        else args.push(text);
      }
      if (skip) continue;
      // Fields with arguments get a unique alias, so merged fields never conflict.
      const alias = unique || args.length > 0 || chance(0.2) ? `f${counter++}: ` : '';
      const head = `${alias}${field.name}${args.length ? `(${args.join(', ')})` : ''}`;
      const directive = chance(0.1) ? ` @include(if: ${chance(0.5)})` : chance(0.05) ? ' @skip(if: false)' : '';
      if (leaf) {
        parts.push(`${head}${directive}`);
      } else if (isUnionType(named)) {
        const members = named.getTypes().filter(() => chance(0.5));
        const inner = members.map((m) => `... on ${m.name} { ${selection(m, depth + 1, true)} }`).join(' ');
        parts.push(`${head}${directive} { __typename ${inner} }`);
      } else {
        parts.push(`${head}${directive} { ${selection(named as GraphQLObjectType, depth + 1)} }`);
      }
    }
    if (parts.length === 0) parts.push('__typename');
    if (chance(0.15)) {
      const name = `F${counter++}`;
      fragments.push(`fragment ${name} on ${type.name} { ${selection(type, depth + 1, unique)} }`);
      parts.push(`...${name}`);
    }
    if (chance(0.15)) parts.push(`... on ${type.name} { ${selection(type, depth + 1, unique)} }`);
    return parts.join(' ');
  };

  const body = selection(schema.getQueryType()!, 0);
  const head = definitions.length ? `query Random(${definitions.join(', ')})` : 'query Random';
  return { query: [`${head} { ${body} }`, ...fragments].join('\n'), variables };
}

async function both(op: Operation) {
  const document = parse(op.query);
  expect(validate(schema, document)).toEqual([]);
  const reference = await execute({
    schema,
    document,
    contextValue: createContext(archive),
    variableValues: op.variables,
  });
  const plan = planOperation(schema, document);
  const planned = plan ? await runPlan(plan, createContext(archive), op.variables) : null;
  return { reference, plan, planned };
}

describe('planned execution', () => {
  it('answers random operations exactly as graphql-js, or bails out exactly when graphql-js reports errors', async () => {
    let answered = 0;
    let bailed = 0;
    let reused = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer(), async (seed) => {
        const op = randomOperation(seed);
        const { reference, plan, planned } = await both(op);
        expect(plan).not.toBeNull();
        // With entity views: the first run keeps views, the second reuses them; both must write the same JSON.
        const budget = { remaining: 1e9 };
        const viewed = [];
        for (let i = 0; i < 2; i++) viewed.push(await runPlan(plan!, createContext(archive), op.variables, budget));
        if (reference.errors) {
          expect(planned).toEqual({ ok: false });
          expect(viewed).toEqual([{ ok: false }, { ok: false }]);
          bailed++;
        } else {
          expect(planned!.ok).toBe(true);
          expect(JSON.stringify({ data: planned!.ok ? planned!.data : null })).toBe(JSON.stringify(reference));
          for (const v of viewed) expect(v.ok && `{"data":${toJson(v.data)}}`).toBe(JSON.stringify(reference));
          answered++;
          if (viewed[1]!.ok && viewed[1]!.rawJson > 0) reused++;
        }
      }),
      { numRuns: Number(process.env.PLAN_FUZZ_RUNS ?? 400) },
    );
    // Both sides of the property were exercised, not only one.
    expect(answered).toBeGreaterThan(200);
    expect(bailed).toBeGreaterThan(5);
    expect(reused).toBeGreaterThan(50);
  });

  it('resolves _entities of every type through its union, unknown keys as null', async () => {
    const turn = archive.turns.at(3)!;
    const op = {
      query: `query($r: [_Any!]!) { _entities(representations: $r) { __typename
        ... on Turn { id text speaker { name } } ... on Episode { id number } ... on Speaker { id } } }`,
      variables: {
        r: [
          { __typename: 'Turn', id: turn.id },
          { __typename: 'Episode', id: 'nope' },
          { __typename: 'Speaker', id: turn.speaker.id },
          { __typename: 'Episode', id: archive.episodes[0]!.id },
        ],
      },
    };
    const { reference, planned } = await both(op);
    expect(reference.errors).toBeUndefined();
    expect(planned).toEqual({ ok: true, data: reference.data, rawJson: 0 });
    expect((planned as unknown as { data: { _entities: unknown[] } }).data._entities[1]).toBeNull();
  });

  it('leaves introspection, ambiguous operations and variable directive conditions to graphql-js', () => {
    expect(planOperation(schema, parse('{ __schema { queryType { name } } }'))).toBeNull();
    expect(planOperation(schema, parse('query($b: Boolean!) { allSeries @include(if: $b) { id } }'))).toBeNull();
    // Two operations and no name: graphql-js would refuse it; so does the planner.
    expect(planOperation(schema, parse('query A { allSeries { id } } query B { speakers { totalCount } }'))).toBeNull();
    expect(
      planOperation(schema, parse('query A { allSeries { id } } query B { speakers { totalCount } }'), 'B'),
    ).not.toBeNull();
    // An empty name is a name: it matches no operation, as in graphql-js.
    expect(planOperation(schema, parse('query A { allSeries { id } }'), '')).toBeNull();
  });

  it('bails out wherever graphql-js would report a field error, sync or async', async () => {
    const small = buildSchema(`type Query { a: String! b: String c: [Int!] d: Thing! }  type Thing { x: Int! }`);
    const cases: [string, Record<string, unknown>][] = [
      ['{ a }', { a: () => Promise.resolve(null) }],
      ['{ a }', { a: () => null }],
      ['{ b }', { b: () => Promise.reject(new Error('no')) }],
      ['{ b }', { b: () => new Error('returned, not thrown') }],
      [
        '{ b }',
        {
          b: () => {
            throw new Error('thrown');
          },
        },
      ],
      ['{ c }', { c: () => [1, Promise.resolve(null), 3] }],
      ['{ c }', { c: () => 'not a list' }],
      ['{ d { x } }', { d: () => Promise.resolve({ x: Promise.resolve(null) }) }],
      ['{ b }', { b: () => ({ not: 'a string' }) }],
    ];
    for (const [query, root] of cases) {
      const document = parse(query);
      for (const [name, resolve] of Object.entries(root)) {
        small.getQueryType()!.getFields()[name]!.resolve = resolve as () => unknown;
      }
      const reference = await execute({ schema: small, document });
      expect(reference.errors, query).toBeDefined();
      expect(await runPlan(planOperation(small, document)!, {}, {}), query).toEqual({ ok: false });
    }
  });

  it('bails out when variables do not coerce, without running anything', async () => {
    const plan = planOperation(schema, parse('query($id: ID!) { segment(id: $id) { id } }'))!;
    expect(await runPlan(plan, createContext(archive), {})).toEqual({ ok: false });
    expect(await runPlan(plan, createContext(archive), { id: { not: 'an id' } })).toEqual({ ok: false });
    const id = archive.segments[0]!.id;
    expect(await runPlan(plan, createContext(archive), { id })).toEqual({
      ok: true,
      data: { segment: { id } },
      rawJson: 0,
    });
  });

  it('keeps entity views within the budget, and never for selections with variables', async () => {
    const segment = archive.segments[0]!;
    const literal = planOperation(schema, parse(`{ segment(id: "${segment.id}") { id turns { id text } } }`))!;
    const variable = planOperation(
      schema,
      parse('query($f: TranscriptFormat!, $id: ID!) { segment(id: $id) { id transcript(format: $f) } }'),
    )!;
    const roomy = { remaining: 1e6 };
    const first = await runPlan(literal, createContext(archive), {}, roomy);
    const spent = 1e6 - roomy.remaining;
    // The segment and each of its turns: one view each.
    expect(spent).toBeGreaterThan(0);
    expect(first.ok && first.data.segment).toBeInstanceOf(RawJson);
    const again = await runPlan(literal, createContext(archive), {}, roomy);
    expect(roomy.remaining).toBe(1e6 - spent);
    expect(again.ok && toJson(again.data)).toBe(first.ok && toJson(first.data));
    // A fresh plan has no views yet; a budget too small for any keeps none, and answers the same.
    const fresh = planOperation(schema, parse(`{ segment(id: "${segment.id}") { id turns { id text } } }`))!;
    const tight = { remaining: 10 };
    const small = await runPlan(fresh, createContext(archive), {}, tight);
    expect(tight.remaining).toBe(10);
    expect(small.ok && toJson(small.data)).toBe(first.ok && toJson(first.data));
    const untouched = { remaining: 1e6 };
    const withVariables = await runPlan(variable, createContext(archive), { f: 'TEXT', id: segment.id }, untouched);
    expect(untouched.remaining).toBe(1e6);
    expect(withVariables.ok && withVariables.rawJson).toBe(0);
  });
});
