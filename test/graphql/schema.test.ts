import { readdirSync, readFileSync } from 'node:fs';

import { Kind, parse, type DefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadArchive } from '../../src/archive/index.js';
import { createContext } from '../../src/context.js';
import { createApollo } from '../../src/server/app.js';
import { BACKENDS, openBackend, type OpenBackend } from '../helpers/backends.js';
import { makeCorpus, type Corpus } from '../helpers/corpus.js';
import { repoPath } from '../helpers/paths.js';

describe('the SDL contract', () => {
  const documents = readdirSync(repoPath('schema'))
    .filter((f) => f.endsWith('.graphql'))
    .map((f) => parse(readFileSync(repoPath(`schema/${f}`), 'utf8')));

  it('describes every type, field, argument, input field and enum value', () => {
    const missing: string[] = [];
    const check = (node: { description?: { value: string } | undefined }, name: string) => {
      if (!node.description?.value.trim()) missing.push(name);
    };
    for (const def of documents.flatMap((d) => d.definitions) as DefinitionNode[]) {
      if (!('name' in def) || !def.name) continue;
      const type = def.name.value;
      if ('description' in def) check(def, type);
      if ('fields' in def) {
        for (const field of def.fields ?? []) {
          check(field, `${type}.${field.name.value}`);
          for (const arg of 'arguments' in field ? (field.arguments ?? []) : []) {
            check(arg, `${type}.${field.name.value}(${arg.name.value})`);
          }
        }
      }
      if (def.kind === Kind.ENUM_TYPE_DEFINITION) for (const v of def.values ?? []) check(v, `${type}.${v.name.value}`);
    }
    expect(missing).toEqual([]);
  });
});

describe.each(BACKENDS)('executeOperation (no HTTP) over %s', (kind) => {
  let corpus: Corpus;
  let open: OpenBackend;
  const apollo = createApollo({ production: true });
  beforeAll(async () => {
    corpus = makeCorpus();
    open = await openBackend(kind, corpus.dir);
    await apollo.start();
  });
  afterAll(async () => {
    await apollo.stop();
    await open.close();
    corpus.cleanup();
  });

  const run = async (query: string, variables?: Record<string, unknown>) => {
    const source = open.backend().forRequest();
    const response = await apollo
      .executeOperation({ query, variables }, { contextValue: createContext(source) })
      .finally(() => source.close?.());
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return response.body.singleResult;
  };

  it('resolves entities through __resolveReference', async () => {
    const result = await run(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Speaker { id episodes { id } } ... on Episode { id } } }`,
      {
        r: [
          { __typename: 'Speaker', id: 'dustin' },
          { __typename: 'Episode', series: { id: 'the-good-thing' }, number: 3 },
          { __typename: 'Episode', series: { id: 'the-good-thing' }, number: 4 },
        ],
      },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      _entities: [{ id: 'dustin', episodes: [{ id: 'the-good-thing-ep3' }] }, { id: 'the-good-thing-ep3' }, null],
    });
  });

  it('reports bad paging as BAD_USER_INPUT with the argument name', async () => {
    const result = await run('{ episodes(first: 1000) { totalCount } }');
    expect(result.errors?.map((e) => [e.extensions?.code, e.extensions?.argumentName])).toEqual([
      ['BAD_USER_INPUT', 'first'],
    ]);
  });
});

describe('a context', () => {
  const apollo = createApollo({ production: true });
  beforeAll(() => apollo.start());
  afterAll(() => apollo.stop());

  it('keeps reading the archive it started with (a context pins one archive)', async () => {
    const other = await loadArchive(repoPath('data'));
    const response = await apollo.executeOperation(
      { query: '{ allSeries { id } }' },
      { contextValue: createContext(other) },
    );
    expect(response.body.kind === 'single' && response.body.singleResult.data).toEqual({
      allSeries: [{ id: 'the-good-thing' }],
    });
  });
});
