import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server/app.js';
import { readConfig } from '../../src/server/config.js';
import { gql, startTestServer } from '../helpers/server.js';
import { repoPath } from '../helpers/paths.js';

let server: RunningServer;
let executed = 0;
beforeAll(async () => {
  server = await startTestServer({
    dataDir: repoPath('data'),
    plugins: [
      {
        async requestDidStart() {
          return {
            async executionDidStart() {
              executed++;
            },
          };
        },
      },
    ],
    config: { responseCacheBytes: 0, production: true, introspection: false },
  });
});
afterAll(async () => {
  await server.stop();
});

/** A query `depth` fields deep: segment -> episode -> segments -> episode -> ... -> id. */
function deep(depth: number): string {
  const chain = Array.from({ length: depth - 2 }, (_, i) => (i % 2 === 0 ? 'episode' : 'segments'));
  const inner = chain.reduceRight((selection, field) => `${field} { ${selection} }`, 'id');
  return `{ segment(id: "ep03-06-cosmo-boring-tech-architecture") { ${inner} } }`;
}

describe('query limits (GraphQL Armor)', () => {
  it.each([
    ['depth over 12', deep(14), 'MAX_DEPTH_EXCEEDED'],
    ['depth 13', deep(13), 'MAX_DEPTH_EXCEEDED'],
    [
      'more than 30 aliases',
      `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: allSeries { id }`).join(' ')} }`,
      'MAX_ALIASES_EXCEEDED',
    ],
    ['more than 50 directives', `{ allSeries { ${'id @include(if: true) '.repeat(51)} } }`, 'MAX_DIRECTIVES_EXCEEDED'],
    ['more than 5000 tokens', `{ allSeries { ${'id '.repeat(5001)} } }`, 'MAX_TOKENS_EXCEEDED'],
    [
      'a cost over the limit',
      '{ speakers(first: 100) { nodes { turns(first: 100) { nodes { text speaker { name } } } } } }',
      'MAX_COST_EXCEEDED',
    ],
  ])('refuses %s with its code, executing nothing', async (_name, query, code) => {
    const before = executed;
    const { data, errors } = await gql(server.url, query);
    expect(data).toBeUndefined();
    expect(errors?.map((e) => e.extensions?.code)).toContain(code);
    expect(executed).toBe(before);
  });

  it('accepts a query at the depth limit', async () => {
    const { errors } = await gql(server.url, deep(12));
    expect(errors).toBeUndefined();
  });

  it('gives no field suggestions and no introspection in production', async () => {
    const typo = await gql(server.url, '{ allSerie { id } }');
    expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const introspection = await gql(server.url, '{ __schema { types { name } } }');
    expect(introspection.errors?.[0]?.message).toMatch(/introspection/i);
    const service = await gql(server.url, '{ _service { sdl } }');
    expect(service.data._service.sdl).toContain('type Segment');
  });

  it('suggests fields outside production', async () => {
    const dev = await startTestServer({ dataDir: repoPath('data'), config: { production: false } });
    try {
      const typo = await gql(dev.url, '{ allSerie { id } }');
      expect(typo.errors?.[0]?.message).toMatch(/Did you mean "allSeries"/);
    } finally {
      await dev.stop();
    }
  });

  it('reads limits from the environment', () => {
    const config = readConfig({
      MAX_DEPTH: '5',
      MAX_ALIASES: '2',
      MAX_TOKENS: '100',
      MAX_COST: '10',
      MAX_DIRECTIVES: '1',
    });
    expect(config.limits).toEqual({ maxDepth: 5, maxAliases: 2, maxTokens: 100, maxCost: 10, maxDirectives: 1 });
    expect(() => readConfig({ MAX_DEPTH: 'deep' })).toThrow(/MAX_DEPTH/);
  });
});
