/**
 * The docs' samples are what the code does. Each example query with an answer runs against the shipped data/ (or,
 * marked `<!-- example: supergraph -->`, through Apollo Gateway in front of this subgraph and examples/people) and
 * must give exactly that answer; every example query is valid against the schema; every curl command is sent to a
 * test server and answers as shown; every `npm run validate` sample prints what the page says; every transcript
 * sample parses without a diagnostic. The conventions are in test/helpers/docs.ts.
 */
import { parse, validate as validateQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

import { startPeopleServer, type PeopleServer } from '../../examples/people/src/server.js';
import { composeAll, readSupergraphConfig } from '../../federation/compose.js';
import { startApolloGateway, type Router } from '../../federation/routers.js';
import { validate } from '../../src/cli/validate.js';
import { parseTranscript } from '../../src/parser/index.js';
import type { RunningServer } from '../../src/server/app.js';
import { readConfig } from '../../src/server/config.js';
import { createSchema } from '../../src/schema.js';
import { parseCurl, sendCurl, shellWords } from '../helpers/curl.js';
import { codeBlocks, docPages, queryExamples, shellCommands } from '../helpers/docs.js';
import { repoPath } from '../helpers/paths.js';
import { gql, startTestServer } from '../helpers/server.js';

const pages = docPages();
const examples = pages.flatMap(queryExamples);
const answered = examples.filter((e) => e.answer !== undefined);
const curls = pages.flatMap(shellCommands).filter((c) => c.command.startsWith('curl '));
const validations = pages.flatMap(shellCommands).filter((c) => c.command.startsWith('npm run validate -- '));

let server: RunningServer;
let base: string;
beforeAll(async () => {
  // The shipped data, with the defaults a reader's `npm start` has.
  server = await startTestServer({ dataDir: repoPath('data') });
  base = server.url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await server.stop();
});

describe('example queries in the docs', () => {
  it('are there: the README shows a first query with its answer, the pages more', () => {
    expect(answered.filter((e) => e.where.startsWith('README.md:')).length).toBeGreaterThan(0);
    expect(answered.length).toBeGreaterThanOrEqual(8);
  });

  const schema = createSchema();
  it.each(examples.filter((e) => e.marker !== 'supergraph').map((e) => [e.where, e] as const))(
    '%s is valid against the subgraph schema',
    (_where, example) => {
      expect(validateQuery(schema, parse(example.query)).map((e) => e.message)).toEqual([]);
    },
  );

  it.each(answered.filter((e) => e.marker === undefined).map((e) => [e.where, e] as const))(
    '%s gives the answer shown, on data/',
    async (_where, example) => {
      const { status, ...body } = await gql(server.url, example.query);
      expect(status).toBe(200);
      expect(body).toEqual(example.answer);
    },
  );

  describe('through a router', () => {
    const routed = answered.filter((e) => e.marker === 'supergraph');
    let people: PeopleServer;
    let router: Router;
    beforeAll(async () => {
      people = await startPeopleServer({ port: 0, host: '127.0.0.1' });
      const urls: Record<string, string> = { transcripts: server.url, people: people.url };
      const composed = composeAll(readSupergraphConfig().map((s) => ({ ...s, url: urls[s.name]! })));
      expect(composed.messages.filter((m) => m.severity === 'error')).toEqual([]);
      router = await startApolloGateway({ supergraphSdl: composed.supergraphSdl!, port: 0, host: '127.0.0.1' });
    });
    afterAll(async () => {
      await router?.stop();
      await people?.stop();
    });

    it('has the supergraph examples', () => expect(routed.length).toBeGreaterThan(0));

    it.each(routed.map((e) => [e.where, e] as const))(
      '%s gives the answer shown through Apollo Gateway',
      async (_where, example) => {
        const { status, ...body } = await gql(router.url, example.query);
        expect(status).toBe(200);
        expect(body).toEqual(example.answer);
      },
    );
  });
});

describe('federation samples', () => {
  const blocks = codeBlocks('docs/federation.md');

  it('the SDL of another subgraph extending ours composes with ours under all three composers', () => {
    const sdl = blocks.filter((b) => b.lang === 'graphql' && b.text.startsWith('extend schema'));
    expect(sdl).toHaveLength(1);
    const transcripts = readSupergraphConfig().find((s) => s.name === 'transcripts')!;
    const extension = { name: 'extension', url: 'http://localhost:4100/graphql', files: [], sdl: sdl[0]!.text };
    const composed = composeAll([transcripts, extension]);
    expect(composed.messages.filter((m) => m.severity === 'error')).toEqual([]);
    expect(composed.supergraphSdl).toContain('bio: String');
  });

  it('the graph.yaml sample is what npm run compose:cosmo writes from supergraph.yaml', () => {
    const yaml = blocks.filter((b) => b.lang === 'yaml');
    expect(yaml).toHaveLength(1);
    expect(parseYaml(yaml[0]!.text)).toEqual({
      version: 1,
      subgraphs: readSupergraphConfig().map((s) => ({
        name: s.name,
        routing_url: s.url,
        schema: { file: `./${s.name}.graphql` },
      })),
    });
  });
});

describe('curl commands in the docs', () => {
  const port = readConfig({}).port;

  it('are there, in the README and the operations page', () => {
    expect(curls.some((c) => c.where.startsWith('README.md:'))).toBe(true);
    expect(curls.some((c) => c.where.startsWith('docs/operations.md:'))).toBe(true);
  });

  it.each(curls.map((c) => [c.where, c] as const))('%s answers as shown', async (_where, curl) => {
    // Written for a reader's server on the default port; sent to the test server's.
    expect(parseCurl(curl.command).url.startsWith(`http://localhost:${port}/`), curl.command).toBe(true);
    const response = await sendCurl(curl.command, base);
    expect(response.status).toBe(200);
    const text = await response.text();
    if (curl.next?.lang === 'json') expect(JSON.parse(text)).toEqual(JSON.parse(curl.next.text));
  });
});

describe('npm run validate samples', () => {
  it('are there, on the transcript format page', () => {
    expect(validations.some((v) => v.where.startsWith('docs/transcript-format.md:') && v.next?.lang === 'text')).toBe(
      true,
    );
  });

  it.each(validations.filter((v) => v.next?.lang === 'text').map((v) => [v.where, v] as const))(
    '%s prints the sample',
    async (_where, sample) => {
      const args = shellWords(sample.command).slice(4);
      const { exitCode, lines } = await validate(args.map((a) => (a.startsWith('-') ? a : repoPath(a))));
      expect(lines).toEqual(sample.next!.text.split('\n'));
      expect(exitCode).toBe(lines.some((l) => l.includes(': error: ')) ? 1 : 0);
    },
  );
});

describe('transcript samples in the docs', () => {
  const samples = pages.flatMap(codeBlocks).filter((b) => b.lang === 'markdown' && b.text.startsWith('---\n'));

  it('are there, in the README and the format page', () => {
    expect(new Set(samples.map((s) => s.page))).toEqual(new Set(['README.md', 'docs/transcript-format.md']));
  });

  it.each(samples.map((s) => [`${s.page}:${s.line}`, s] as const))('%s parses with no diagnostic', (_where, s) => {
    const result = parseTranscript(s.text, 'sample.md');
    expect(result.ok ? [] : result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });
});
