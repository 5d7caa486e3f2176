/**
 * Defaults and figures the docs state in prose are the code's: each `` `NAME` (default X) `` says what the
 * configuration table says (which configuration.test.ts holds to `readConfig({})`); the numbers the operations and
 * federation pages give are the constants the code uses; the metrics table names what `/metrics` serves; the
 * downloads table gives the types the server sends.
 */
import type { GraphQLObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CUE_LINE_LENGTH, SRT_LINE_LENGTH, CHAPTERS_CONTENT_TYPE } from '../../src/export/transcript.js';
import { DEFAULT_FPS } from '../../src/parser/transcript.js';
import { MAX_PAGE_SIZE } from '../../src/resolvers/connection.js';
import { RANK_CACHE_BYTES } from '../../src/search/index.js';
import { MAX_QUERY_LENGTH } from '../../src/search/query.js';
import type { RunningServer } from '../../src/server/app.js';
import { CACHE_DEFAULTS, readConfig, type Config } from '../../src/server/config.js';
import { DEFAULT_LIMITS } from '../../src/server/limits.js';
import { createSchema } from '../../src/schema.js';
import { DOWNLOAD_MAX_AGE_SECONDS } from '../../src/server/downloads.js';
import { LIMIT_CODES } from '../../src/server/observe.js';
import {
  LATENCY_BUCKETS,
  MAX_ERROR_CODES,
  MAX_OPERATION_NAMES,
  METRICS_CONTENT_TYPE,
} from '../../src/server/metrics.js';
import { SHUTDOWN_FLUSH_MS } from '../../src/server/telemetry.js';
import {
  CONFIGURATION_PAGE,
  configurationTable,
  docPages,
  proseDefaults,
  readPage,
  section,
  shellCommands,
} from '../helpers/docs.js';
import { repoPath } from '../helpers/paths.js';
import { gql, startTestServer } from '../helpers/server.js';

const MiB = 1024 * 1024;
const operations = readPage('docs/operations.md');
const federation = readPage('docs/federation.md');
const format = readPage('docs/transcript-format.md');
/** A page's text with line breaks as spaces, so a phrase wrapped over two lines is still found. */
const flat = (text: string): string => text.replace(/\s*\n\s*/g, ' ');

describe('defaults in prose', () => {
  const table = configurationTable();
  const stated = docPages().flatMap(proseDefaults);

  it('are written the one way the test reads, in several pages', () => {
    expect(stated.length).toBeGreaterThanOrEqual(3);
  });

  it.each(stated.map((d) => [`${d.where} ${d.name}`, d] as const))('%s is the table default', (_name, d) => {
    const cell = table.get(d.name);
    expect(cell, `${d.name} is in the configuration table`).toBeDefined();
    expect([cell, /^(`[^`]*`)/.exec(cell!)?.[1]]).toContain(d.stated);
  });

  it('the configuration examples set only variables the server reads, to values it accepts', () => {
    const read = new Set<string>();
    readConfig(new Proxy({}, { get: (_t, name) => (typeof name === 'string' && read.add(name), undefined) }));
    const examples = shellCommands(CONFIGURATION_PAGE);
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const { where, command } of examples) {
      const env = Object.fromEntries(
        [...command.matchAll(/(?:^|\s)([A-Z][A-Z0-9_]*)=("[^"]*"|\S+)/g)].map((m) => [m[1]!, m[2]!]),
      );
      expect(Object.keys(env).length, where).toBeGreaterThan(0);
      for (const name of Object.keys(env)) expect(read.has(name), `${where}: ${name} is read`).toBe(true);
      // Values from the shell (a secret read from a file) stand for any value.
      const values = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.startsWith('"$(') ? 'x' : v]));
      expect(() => readConfig(values), where).not.toThrow();
    }
  });

  it('the README serves on the default port', () => {
    expect(readPage('README.md')).toContain(`http://localhost:${readConfig({}).port}/graphql`);
  });
});

describe('figures in the operations page', () => {
  it('the caches: their variables, defaults adding up to the ceiling, the rank cache', () => {
    const { records, ...inMemory } = CACHE_DEFAULTS;
    const total = Object.values(inMemory).reduce((a, b) => a + b, 0);
    expect(flat(operations)).toContain(
      `ceiling of about ${total / MiB} MiB (${(total + records) / MiB} MiB over PostgreSQL)`,
    );
    expect(readConfig({}).database.recordCacheBytes).toBe(records);
    for (const name of [
      'RESPONSE_CACHE_MAX_BYTES',
      'ENTITY_VIEWS_MAX_BYTES',
      'DOCUMENT_CACHE_MAX_BYTES',
      'PLAN_CACHE_MAX_BYTES',
      'DATABASE_CACHE_MAX_BYTES',
    ]) {
      expect(operations).toMatch(new RegExp(`^\\| [a-z ]+\\| \`${name}\``, 'm'));
    }
    expect(flat(operations)).toContain(`(up to ${RANK_CACHE_BYTES / MiB} MiB per archive)`);
  });

  it('the limits table: each limit a variable of the configuration table, each code a limit code', () => {
    const table = configurationTable();
    const limits = section('docs/operations.md', 'Limits');
    const rows = [...limits.matchAll(/^\| [^|]+\| `([A-Z_]+)`\s+\| ([^|]+)\|$/gm)];
    expect(rows.length).toBe(7);
    for (const [, name] of rows) expect(table.has(name!), name).toBe(true);
    const codes = [...limits.matchAll(/`(MAX_[A-Z_]+_EXCEEDED)`/g)].map((m) => m[1]);
    expect(new Set(codes)).toEqual(new Set(LIMIT_CODES));
    expect(limits).toMatch(new RegExp(`^\\| page size \\(\`first\`, \`last\`\\)\\s+\\| ${MAX_PAGE_SIZE} `, 'm'));
  });

  it('shutdown, downloads and metrics figures', () => {
    const text = flat(operations);
    // Spans are flushed for at most SHUTDOWN_FLUSH_MS, said in the shutdown and the traces sections.
    const flushes = [...text.matchAll(/flushe[sd][^.]*\(at most (\d+) s\)/g)];
    expect(flushes.length).toBe(2);
    for (const m of flushes) expect(Number(m[1]) * 1000).toBe(SHUTDOWN_FLUSH_MS);
    expect(text).toContain(`max-age=${DOWNLOAD_MAX_AGE_SECONDS},`);
    expect(DOWNLOAD_MAX_AGE_SECONDS).toBe(5 * 60); // "for five minutes"
    expect(text).toContain(`keeps the first ${MAX_OPERATION_NAMES} names`);
    expect(text).toContain(`the first ${MAX_ERROR_CODES} codes`);
    expect(text).toContain(`(\`${METRICS_CONTENT_TYPE.replace(/; charset=utf-8$/, '')}\`)`);
    expect(text).toContain(`histogram, ${LATENCY_BUCKETS[0]! * 1000} ms to ${LATENCY_BUCKETS.at(-1)} s`);
  });
});

describe('the limits table, against a server with each limit set low', () => {
  /** A request past each limit, and the setting that makes it one (defaults elsewhere). */
  const PAST: Record<string, { config: Partial<Config>; body: string }> = {
    MAX_BODY_BYTES: {
      config: { maxBodyBytes: 1024 },
      body: JSON.stringify({ query: `{ allSeries { id } }${' '.repeat(2000)}` }),
    },
    MAX_JSON_DEPTH: {
      config: { maxJsonDepth: 3 },
      body: JSON.stringify({ query: '{ allSeries { id } }', variables: { a: [[[[1]]]] } }),
    },
    MAX_TOKENS: {
      config: { limits: { ...DEFAULT_LIMITS, maxTokens: 10 } },
      body: JSON.stringify({ query: '{ allSeries { id title episodes { id number } } }' }),
    },
    MAX_DEPTH: {
      config: { limits: { ...DEFAULT_LIMITS, maxDepth: 2 } },
      body: JSON.stringify({ query: '{ allSeries { episodes { series { id } } } }' }),
    },
    MAX_ALIASES: {
      config: { limits: { ...DEFAULT_LIMITS, maxAliases: 1 } },
      body: JSON.stringify({ query: '{ a: allSeries { id } b: allSeries { id } }' }),
    },
    MAX_DIRECTIVES: {
      config: { limits: { ...DEFAULT_LIMITS, maxDirectives: 1 } },
      body: JSON.stringify({ query: '{ allSeries @include(if: true) { id @include(if: true) } }' }),
    },
    MAX_COST: {
      config: { limits: { ...DEFAULT_LIMITS, maxCost: 10 } },
      body: JSON.stringify({ query: '{ episodes(first: 100) { nodes { id } } }' }),
    },
  };
  const rows = [...section('docs/operations.md', 'Limits').matchAll(/^\| [^|]+\| `([A-Z_]+)`\s+\| ([^|]+)\|$/gm)];

  it.each(rows.map(([, name, cell]) => [name!, cell!.trim()] as const))('%s: %s', async (name, cell) => {
    const past = PAST[name];
    expect(past, `a request past ${name}`).toBeDefined();
    const server = await startTestServer({ dataDir: repoPath('data'), config: past!.config });
    try {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: past!.body,
      });
      // "HTTP 413 `BAD_REQUEST`", or a code alone: a client error (400).
      const status = /^HTTP (\d{3})/.exec(cell)?.[1];
      expect(response.status).toBe(status ? Number(status) : 400);
      const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]!.extensions.code).toBe(/`([A-Z_]+)`/.exec(cell)![1]);
    } finally {
      await server.stop();
    }
  });
});

describe('figures in the federation and format pages', () => {
  it('page sizes are the schema defaults and the resolvers bound', () => {
    const query = createSchema().getQueryType() as GraphQLObjectType;
    const first = (field: string) => query.getFields()[field]!.args.find((a) => a.name === 'first')!.defaultValue;
    const text = flat(federation);
    expect(text).toContain(`\`first\` (default ${first('episodes')}, at most ${MAX_PAGE_SIZE})`);
    expect(first('segments')).toBe(first('episodes'));
    expect(first('speakers')).toBe(first('episodes'));
    expect(text).toContain(`(\`first\`, default ${first('search')}, and \`after\`)`);
    expect(text).toContain(`over ${MAX_QUERY_LENGTH} characters`);
    expect(text).toContain(`at most two lines of about ${CUE_LINE_LENGTH} characters`);
    expect(text).toContain(`at most two lines of ${SRT_LINE_LENGTH} characters`);
    expect(format).toContain(`frames per second of the timecodes, default ${DEFAULT_FPS}`);
  });
});

describe('tables that the running server answers for', () => {
  let server: RunningServer;
  let base: string;
  beforeAll(async () => {
    server = await startTestServer({ dataDir: repoPath('data') });
    base = server.url.replace(/\/graphql$/, '');
  });
  afterAll(async () => {
    await server.stop();
  });

  it('the downloads table gives the Content-Type and file name of each download', async () => {
    const rows = [
      ...federation.matchAll(/^\| `GET (\/[a-z]+\/)<episode id>(\.[a-z]+)`\s*\| `([^`]+)`\s*\| `([^`]+)`/gm),
    ];
    expect(rows.length).toBe(5);
    for (const [, path, suffix, type, name] of rows) {
      const response = await fetch(`${base}${path}the-good-thing-ep3${suffix}`);
      expect(response.status, `${path}${suffix}`).toBe(200);
      expect(response.headers.get('content-type'), `${path}${suffix}`).toBe(type);
      const file = name!.replace('<episode id>', 'the-good-thing-ep3');
      expect(response.headers.get('content-disposition'), `${path}${suffix}`).toBe(`inline; filename="${file}"`);
    }
    expect(CHAPTERS_CONTENT_TYPE).toBe('application/json+chapters');
  });

  it('the metrics table names what /metrics serves, with its labels', async () => {
    // Traffic that makes every labelled family show a sample: a query, an error, a limit refusal, a download.
    await gql(server.url, '{ allSeries { id } }');
    await gql(server.url, '{ episodes(first: 1000) { totalCount } }');
    await gql(server.url, `{ ${'allSeries { episodes { series { '.repeat(8)}id${' } }'.repeat(8)} }`);
    await fetch(`${base}/transcripts/the-good-thing-ep3.vtt`);
    const exposition = await (await fetch(`${base}/metrics`)).text();
    // Family names from `# TYPE` lines; each family's label names from its samples (a histogram's without `le`).
    const families = new Map<string, Set<string>[]>();
    for (const m of exposition.matchAll(/^# TYPE (\S+) /gm)) families.set(m[1]!, []);
    for (const m of exposition.matchAll(/^([a-z_]+?)(_bucket|_sum|_count)?(?:\{([^}]*)\})? \S+$/gm)) {
      const family = families.get(m[1]!) ?? families.get(`${m[1]}${m[2] ?? ''}`);
      const names = [...(m[3] ?? '').matchAll(/([a-z_]+)="/g)].map((l) => l[1]!).filter((l) => l !== 'le');
      family?.push(new Set(names));
    }
    const rows = [...operations.matchAll(/^\| (`[a-z_{},…*]+`(?:, `[a-z_{},…*]+`)?)\s*\| ([^|]*)\|/gm)];
    expect(rows.length).toBe(13);
    for (const [, namesCell, labelsCell] of rows) {
      const labels =
        labelsCell!
          .replace(/\([^)]*\)/g, '')
          .match(/`[a-z_]+`/g)
          ?.map((l) => l.slice(1, -1)) ?? [];
      for (const written of namesCell!.match(/`[^`]+`/g)!.map((n) => n.slice(1, -1))) {
        const braces = /^(.*)\{([^}]+)\}(.*)$/.exec(written);
        const names = braces ? braces[2]!.split(',').map((part) => `${braces[1]}${part}${braces[3]}`) : [written];
        for (const name of names) {
          const matching = name.endsWith('*')
            ? [...families.keys()].filter((n) => n.startsWith(name.slice(0, -1)))
            : [name];
          expect(matching.length, `${name} is served`).toBeGreaterThan(0);
          for (const family of matching) {
            expect(families.has(family), `${family} is served`).toBe(true);
            if (name.endsWith('*')) continue;
            const samples = families.get(family)!;
            expect(samples.length, `${family} has samples`).toBeGreaterThan(0);
            for (const sample of samples) expect([...sample].sort(), family).toEqual([...labels].sort());
          }
        }
      }
    }
    expect(flat(operations)).toContain('`transcripts_archive_last_reload_duration_seconds`');
    expect(families.has('transcripts_archive_last_reload_success_timestamp_seconds')).toBe(true);
  });
});
