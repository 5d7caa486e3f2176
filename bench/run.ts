/**
 * `npm run bench [-- --full] [--only ingest,serving,entities,search]`: measures the subgraph beside anchors
 * measured in the same run, prints one table and writes bench/results.json. Speed is only ever reported as
 * ratios to those anchors: the machines are shared and absolute times drift.
 *
 * Runs with NODE_ENV=production (set by the npm script), as a deployed server does: graphql-js then skips its
 * development-only checks, for this process and every server it starts.
 *
 * The subgraph runs from its build (dist/, made first), as `npm start` runs it; see bench/production.ts.
 *
 * Serving runs each operation against three servers: Apollo only (PLANNED_EXECUTION=0, no response cache), the
 * default without the response cache (planned execution and entity views), and the default (varied bodies, then
 * one body repeated). The anchors (a) and (b) are measured before and after those runs and averaged.
 *
 * Quick mode (default): ingest of ~1k files, 3 s per serving scenario. --full adds ingest of ~10k files
 * (~62 MB) and runs 10 s per scenario. Corpora are generated (seeded) under bench/corpus/ on first use.
 *
 * The PostgreSQL section starts a throwaway cluster on loopback (test/helpers/postgres.ts): sync speed beside a raw
 * read, database size, per-query latencies through the replica's Source, and requests/s of a replica beside the
 * in-memory server on the same corpus (~100k turns; ~200k with --full; --pg-2m adds ~2M turns).
 *
 * After results.json it writes docs/benchmarks.md from them (bench/report.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import type { Archive } from '../src/archive/types.js';
import { generateCorpus, random } from './generate-corpus.js';
import { runLoad, type LoadResult } from './load-client.js';
import { buildDist, distMain, fromDist } from './production.js';
import { writeBenchmarksPage, type BenchResults } from './report.js';

buildDist();
const { loadArchive } = await fromDist<typeof import('../src/archive/index.js')>('archive/index.js');
const { createContext } = await fromDist<typeof import('../src/context.js')>('context.js');
const { SearchIndex } = await fromDist<typeof import('../src/search/index.js')>('search/index.js');
const { parseSearchQuery } = await fromDist<typeof import('../src/search/query.js')>('search/query.js');
const { fold, words } = await fromDist<typeof import('../src/search/text.js')>('search/text.js');
const { createApollo } = await fromDist<typeof import('../src/server/app.js')>('server/app.js');
const { PlannedOperations } =
  await fromDist<typeof import('../src/server/pipeline/planned.js')>('server/pipeline/planned.js');
const { createSchema } = await fromDist<typeof import('../src/schema.js')>('schema.js');

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const argv = process.argv.slice(2);
const full = argv.includes('--full');
const onlyArg = argv[argv.indexOf('--only') + 1];
const only = argv.includes('--only') && onlyArg ? new Set(onlyArg.split(',')) : null;
const run = (section: string) => !only || only.has(section);
const duration = full ? 10 : 3;
/** `--pg-2m`: the PostgreSQL section also syncs and queries a ~2M-turn corpus (~640 MB, generated on first use). */
const huge = argv.includes('--pg-2m');

const rows: { section: string; measure: string; value: string; anchor: string; ratio: string }[] = [];
const results: Record<string, unknown> = {
  machine: {
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  },
  mode: full ? 'full' : 'quick',
  date: new Date().toISOString(),
  sections: ['ingest', 'entities', 'search', 'serving', 'postgres'].filter((section) => run(section)),
};
const row = (section: string, measure: string, value: string, anchor = '', ratio = '') =>
  rows.push({ section, measure, value, anchor, ratio });
const benchStart = performance.now();
/** One line on stderr per step, with the time since the start: a full run takes a quarter of an hour. */
const progress = (message: string): void => {
  const s = Math.round((performance.now() - benchStart) / 1000);
  console.error(`[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${message}`);
};
/** Targets from the issues, each checked against its anchor in this run: printed and kept in results.json. */
const targets: { target: string; measured: string; met: boolean }[] = [];
const target = (name: string, measured: string, met: boolean): void => {
  targets.push({ target: name, measured, met });
  progress(`${met ? 'met' : 'NOT met'}: ${name} (${measured})`);
};
const fmt = (n: number, digits = 1) => n.toFixed(digits);
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
const median = (xs: number[]) => quantile(xs, 0.5);

function corpus(name: string, episodes: number): string {
  const dir = here(`./corpus/${name}`);
  if (!existsSync(dir)) {
    const made = generateCorpus({ out: dir, episodes, seed: 42 });
    console.error(`generated ${dir}: ${made.files} files, ${fmt(made.bytes / 1e6)} MB, ${made.turns} turns`);
  }
  return dir;
}

/** Starts a node process with tsx and waits for the JSON line that names its URL. */
async function startProcess(
  script: string,
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, script.endsWith('.js') ? [script] : ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { url?: string };
        if (parsed.url) resolve(parsed.url);
      } catch {
        // not a JSON line
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    setTimeout(() => reject(new Error(`${script} did not report its URL within 60 s`)), 60_000).unref();
  });
  return { url, child };
}

/** The built subgraph on loopback, port 0, in production mode, serving `dataDir`; `env` adds settings. */
function startSubgraph(dataDir: string, env: Record<string, string> = {}): ReturnType<typeof startProcess> {
  return startProcess(distMain, {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    // The URL line the bench waits for is logged at info.
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
    ...env,
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function childJson(args: string[]): Promise<Record<string, number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', here('./ingest-child.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`ingest child failed: ${args.join(' ')}`);
  return JSON.parse(out) as Record<string, number>;
}

async function ingest(): Promise<void> {
  const sizes: [string, number][] = [['1k', 70]];
  if (full) sizes.push(['10k', 720]);
  const out: Record<string, unknown> = {};
  for (const [name, episodes] of sizes) {
    const dir = corpus(name, episodes);
    const raw: number[] = [];
    const load: number[] = [];
    let last: Record<string, number> = {};
    for (let i = 0; i < 3; i++) {
      progress(`ingest ${name}: round ${i + 1} of 3 (raw read, then load)`);
      raw.push((await childJson(['raw', dir])).ms!);
      last = await childJson(['load', dir]);
      load.push(last.ms!);
    }
    const mb = last.bytes! / 1e6;
    const rawMs = median(raw);
    const loadMs = median(load);
    const rssPerMb = last.maxRssBytes! / 1e6 / mb;
    row(
      'ingest',
      `${name}: ${last.files} files, ${fmt(mb)} MB, to ready`,
      `${fmt(mb / (loadMs / 1000))} MB/s`,
      `raw read ${fmt(mb / (rawMs / 1000))} MB/s`,
      `${fmt(loadMs / rawMs)}x raw time`,
    );
    row(
      'ingest',
      `${name}: peak RSS per MB of corpus`,
      `${fmt(rssPerMb, 2)} MB/MB`,
      `${fmt(last.maxRssBytes! / 1e6)} MB peak`,
    );
    if (name === '10k') {
      target('ingest of the 10k-file corpus within 8x the raw read', `${fmt(loadMs / rawMs)}x`, loadMs / rawMs <= 8);
      target('peak RSS of that ingest at most 3x the corpus', `${fmt(rssPerMb, 2)}x`, rssPerMb <= 3);
    }
    out[name] = {
      files: last.files,
      megabytes: mb,
      loadMs,
      rawMs,
      loadMBps: mb / (loadMs / 1000),
      rawMBps: mb / (rawMs / 1000),
      peakRssMB: last.maxRssBytes! / 1e6,
      rssPerMB: rssPerMb,
    };
  }
  results.ingest = out;
}

interface Load {
  readonly title: string;
  readonly bodies: readonly string[];
}

/** One load run against `url`, tried again once if the load generator fails (see runLoad's watchdog). */
async function cannon(url: string, load: Load): Promise<LoadResult> {
  try {
    return await runLoad(url, duration, load.bodies);
  } catch {
    return runLoad(url, duration, load.bodies).catch(() => {
      throw new Error(`load generator failed twice on ${load.title}`);
    });
  }
}

const body = (query: string, variables?: object) => JSON.stringify({ query, variables });

/** The operations the serving runs of both backends send: a segment with its turns, and turns by `_entities`. */
const SEGMENT = `query($id: ID!) { segment(id: $id) { id title start { smpte seconds } speakers { id name }
  turns { id number text start { smpte seconds } end { seconds } speaker { id name } } } }`;
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Turn { id text start { seconds } speaker { name } } } }`;
/** Segments of ~20 turns: the serving runs' segment queries ask for these. */
const servingSegments = (archive: Archive) =>
  archive.segments.filter((s) => s.turns.length >= 18 && s.turns.length <= 22);

/** The anchors, (a) and (b), measured one after the other. */
async function anchors(): Promise<[LoadResult, LoadResult]> {
  const plain = await startProcess(here('./servers/plain.ts'));
  const a = await cannon(plain.url, { title: 'fixed JSON', bodies: [body('{ hello }')] });
  await stop(plain.child);
  const minimal = await startProcess(here('./servers/minimal-apollo.ts'));
  const b = await cannon(minimal.url, { title: 'trivial query', bodies: [body('{ hello }')] });
  await stop(minimal.child);
  return [a, b];
}

const mean = (x: LoadResult, y: LoadResult): LoadResult => ({
  rps: (x.rps + y.rps) / 2,
  p50: Math.max(x.p50, y.p50),
  p99: Math.max(x.p99, y.p99),
  errors: x.errors + y.errors,
});

async function serving(archive: Archive, dataDir: string): Promise<void> {
  // The machine is shared and its speed drifts within a run too: the anchors are measured before and after the
  // subgraph's runs and averaged, so a drift does not land wholly on one side of the ratios. Both are reported.
  progress('serving: anchors (a) and (b), before');
  const [a1, b1] = await anchors();
  const rand = random(3);
  const segments = servingSegments(archive);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
  const EPISODES = `query($after: String) { episodes(first: 20, after: $after) { totalCount pageInfo { endCursor hasNextPage }
    nodes { id number series { title } start { smpte } durationSeconds speakers { name } } } }`;
  const SEARCH = `query($q: String!) { search(query: $q, first: 10) { totalCount edges { score snippet node { id } } } }`;
  const vocabulary = archive.turns
    .slice(0, 2000)
    .flatMap((t) => words(t.text))
    .filter((w) => w.length > 4);
  const variety = 300;
  // 300 different segments, each asked for by id through a variable.
  const segmentIds = [...segments]
    .sort(() => rand() - 0.5)
    .slice(0, variety)
    .map((s) => s.id);
  const loads: Load[] = [
    {
      title: 'segment with ~20 turns and speakers',
      bodies: segmentIds.map((id) => body(SEGMENT, { id })),
    },
    {
      title: 'episodes page (20)',
      bodies: Array.from({ length: variety }, (_, i) =>
        body(EPISODES, { after: i === 0 ? null : Buffer.from(`cursor:${i}`).toString('base64url') }),
      ),
    },
    {
      title: '_entities, 100 distinct Turn representations',
      bodies: Array.from({ length: variety }, () => {
        const positions = new Set<number>();
        while (positions.size < 100) positions.add(Math.floor(rand() * archive.turns.length));
        return body(ENTITIES, { r: [...positions].map((p) => ({ __typename: 'Turn', id: archive.turns.at(p)!.id })) });
      }),
    },
    {
      title: 'search, two words',
      bodies: Array.from({ length: variety }, () => body(SEARCH, { q: `${pick(vocabulary)} ${pick(vocabulary)}` })),
    },
  ];
  // Each operation four ways: Apollo alone (no plans, no caches); plans with no cache of any kind (every request
  // executes: the targets' "caches off"); plans with entity views; and everything on, with varied bodies (300
  // distinct requests cycling, as a busy router's traffic does) and with one body repeated (a hit each time).
  const MODES = {
    apollo: { PLANNED_EXECUTION: '0', RESPONSE_CACHE_MAX_BYTES: '0', ENTITY_VIEWS_MAX_BYTES: '0' },
    plain: { PLANNED_EXECUTION: '1', RESPONSE_CACHE_MAX_BYTES: '0', ENTITY_VIEWS_MAX_BYTES: '0' },
    views: { PLANNED_EXECUTION: '1', RESPONSE_CACHE_MAX_BYTES: '0' },
    cache: {},
  } as const;
  const measured: [string, LoadResult, number][] = [];
  const byMode: Record<string, LoadResult[]> = {};
  for (const [mode, env] of Object.entries(MODES)) {
    const ours = await startSubgraph(dataDir, env);
    byMode[mode] = [];
    for (const [index, load] of loads.entries()) {
      const runs: [string, readonly string[]][] =
        mode === 'apollo'
          ? [['Apollo only, no caches', load.bodies]]
          : mode === 'plain'
            ? [['plans, no caches', load.bodies]]
            : mode === 'views'
              ? [['plans and entity views', load.bodies]]
              : [
                  ['everything on, varied', load.bodies],
                  ['everything on, repeated', load.bodies.slice(0, 1)],
                ];
      for (const [label, bodies] of runs) {
        progress(`serving: ${load.title}, ${label}`);
        const result = await cannon(ours.url, { title: load.title, bodies });
        measured.push([`${load.title}, ${label}`, result, index]);
        if (runs.length === 1 || label.endsWith('varied')) byMode[mode]!.push(result);
      }
    }
    await stop(ours.child);
  }
  // The floor for each operation's own answer size: node:http sending a fixed body as long as the subgraph's
  // answer to the operation's first request, to the same request bodies. A cache hit can at best match it.
  const sameSize: LoadResult[] = [];
  {
    const probe = await startSubgraph(dataDir);
    const sizes: number[] = [];
    for (const load of loads) {
      const response = await fetch(probe.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: load.bodies[0],
      });
      sizes.push((await response.arrayBuffer()).byteLength);
    }
    await stop(probe.child);
    for (const [i, load] of loads.entries()) {
      const plain = await startProcess(here('./servers/plain.ts'), { ANSWER_BYTES: String(sizes[i]) });
      sameSize.push(await cannon(plain.url, { title: load.title, bodies: load.bodies.slice(0, 1) }));
      await stop(plain.child);
    }
  }
  progress('serving: anchors (a) and (b), after');
  const [a2, b2] = await anchors();
  const floorA = mean(a1, a2);
  const floorB = mean(b1, b2);
  const plain = byMode.plain!;
  target(
    'varied segment queries, caches off, at least 1.5x (b)',
    `${fmt(plain[0]!.rps / floorB.rps, 2)}x`,
    plain[0]!.rps / floorB.rps >= 1.5,
  );
  target(
    'varied _entities of 100 distinct Turns, caches off, at least 1.0x (b)',
    `${fmt(plain[2]!.rps / floorB.rps, 2)}x`,
    plain[2]!.rps / floorB.rps >= 1,
  );
  row(
    'serving',
    '(a) node:http, fixed JSON body',
    `${fmt(floorA.rps, 0)} req/s`,
    `before ${fmt(a1.rps, 0)}, after ${fmt(a2.rps, 0)}; p50 ${floorA.p50} ms, p99 ${floorA.p99} ms`,
  );
  row(
    'serving',
    '(b) minimal Apollo 5 subgraph, { hello }',
    `${fmt(floorB.rps, 0)} req/s`,
    `before ${fmt(b1.rps, 0)}, after ${fmt(b2.rps, 0)}; p50 ${floorB.p50} ms, p99 ${floorB.p99} ms`,
    `${fmt(floorB.rps / floorA.rps, 2)}x (a)`,
  );
  const out: Record<string, unknown> = { a: floorA, b: floorB, anchorsBefore: [a1, b1], anchorsAfter: [a2, b2] };
  for (const [i, load] of loads.entries()) {
    const r = sameSize[i]!;
    row(
      'serving',
      `(a') node:http, fixed answer as long as: ${load.title}`,
      `${fmt(r.rps, 0)} req/s`,
      `p50 ${r.p50} ms, p99 ${r.p99} ms`,
      `${fmt(r.rps / floorB.rps, 2)}x (b)`,
    );
    out[`(a') ${load.title}`] = { ...r, vsB: r.rps / floorB.rps };
  }
  for (const [title, r, index] of measured) {
    const vsSameSize = r.rps / sameSize[index]!.rps;
    row(
      'serving',
      `(c) ${title}`,
      `${fmt(r.rps, 0)} req/s`,
      `p50 ${r.p50} ms, p99 ${r.p99} ms${r.errors ? `, ${r.errors} errors` : ''}`,
      `${fmt(r.rps / floorB.rps, 2)}x (b), ${fmt(r.rps / floorA.rps, 2)}x (a), ${fmt(vsSameSize, 2)}x (a')`,
    );
    out[title] = { ...r, vsB: r.rps / floorB.rps, vsA: r.rps / floorA.rps, vsSameSize };
  }
  results.serving = out;
}

/**
 * Server time of `_entities` by size, two ways: through Apollo Server (`executeOperation`: parse and validation
 * cached, execution; no JSON) and through the planned path a repeated router request takes (`answer`: variables,
 * execution and the JSON body), the latter without entity views so every request does the work.
 */
async function entities(archive: Archive): Promise<void> {
  const apollo = createApollo({ production: true });
  await apollo.start();
  const planned = new PlannedOperations(createSchema());
  const QUERY = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Turn { id text } } }`;
  planned.learn({ query: QUERY }, '', [['content-type', 'application/json; charset=utf-8']]);
  const rand = random(5);
  const out: Record<string, Record<string, unknown>> = { apollo: {}, planned: {} };
  const perRepAt100: Record<string, number> = {};
  for (const n of [1, 100, 1000, 10000]) {
    progress(`entities: ${n} distinct representations, through Apollo and through the planned path`);
    const positions = new Set<number>();
    while (positions.size < n) positions.add(Math.floor(rand() * archive.turns.length));
    const r = [...positions].map((p) => ({ __typename: 'Turn', id: archive.turns.at(p)!.id }));
    const runs: [string, () => Promise<unknown>][] = [
      [
        'apollo',
        async () => {
          const response = await apollo.executeOperation(
            { query: QUERY, variables: { r } },
            { contextValue: createContext(archive) },
          );
          if (response.body.kind !== 'single' || response.body.singleResult.errors) throw new Error('entities failed');
        },
      ],
      [
        'planned',
        async () => {
          if (!(await planned.answer({ query: QUERY, variables: { r } }, '', createContext(archive))))
            throw new Error('planned entities failed');
        },
      ],
    ];
    for (const [path, once] of runs) {
      // Each size and path starts from a collected heap, as a server between bursts would.
      (globalThis as { gc?: () => void }).gc?.();
      const times: number[] = [];
      const repeats = n >= 10000 ? 10 : 40;
      for (let i = 0; i < repeats + 5; i++) {
        const started = performance.now();
        await once();
        if (i >= 5) times.push(performance.now() - started);
      }
      const ms = median(times);
      if (n === 100) perRepAt100[path] = ms / n;
      row(
        'entities',
        `_entities, ${n} Turn representations, ${path === 'apollo' ? 'Apollo' : 'planned, with JSON'}`,
        `${fmt(ms, 3)} ms`,
        `${fmt((ms / n) * 1000, 2)} µs per representation`,
        n >= 100 ? `${fmt(ms / n / perRepAt100[path]!, 2)}x per-rep cost at 100` : '',
      );
      out[path]![n] = { medianMs: ms, usPerRepresentation: (ms / n) * 1000 };
      if (n === 1000 && path === 'planned')
        target(
          '_entities with 1,000 distinct representations in under 2 ms of server time',
          `${fmt(ms, 2)} ms`,
          ms < 2,
        );
    }
  }
  await apollo.stop();
  results.entities = out;
}

async function search(archive: Archive): Promise<void> {
  const rand = random(9);
  const tokenized = archive.turns.slice().map((t) => words(t.text));
  const sample = (count: number, size: number) =>
    Array.from({ length: count }, () => {
      const tokens = tokenized[Math.floor(rand() * tokenized.length)]!;
      return Array.from({ length: size }, () => tokens[Math.floor(rand() * tokens.length)]!).join(' ');
    });
  const scope = archive.search.scopeAll();
  const timeQueries = (queries: string[], rounds: number) => {
    const times: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const q of queries) {
        const parsed = parseSearchQuery(q);
        if (!parsed.ok) continue;
        const started = performance.now();
        archive.search.search(parsed.query, scope, 0, 10);
        times.push(performance.now() - started);
      }
    }
    return times;
  };
  // The linear scan a grep would do: every turn's folded text against whole-word patterns.
  const texts = archive.turns.slice().map((t) => t.text);
  const scan = (q: string) => {
    const patterns = words(q).map((w) => new RegExp(`(?<![\\p{L}\\p{N}])${w}(?![\\p{L}\\p{N}])`, 'u'));
    let hits = 0;
    for (const text of texts) {
      const folded = fold(text);
      if (patterns.every((p) => p.test(folded))) hits++;
    }
    return hits;
  };
  const out: Record<string, unknown> = { turns: archive.turns.length };
  for (const [label, size] of [
    ['one word', 1],
    ['three words', 3],
  ] as const) {
    progress(`search: ${label}`);
    const queries = sample(300, size);
    timeQueries(queries, 1); // warm up: first use sorts frequent terms' postings
    const times = timeQueries(queries, 3);
    const scanTimes = queries.slice(0, 15).map((q) => {
      const started = performance.now();
      scan(q);
      return performance.now() - started;
    });
    const p50 = median(times);
    const p99 = quantile(times, 0.99);
    const scanP50 = median(scanTimes);
    row(
      'search',
      `${label}, ${archive.turns.length} turns`,
      `p50 ${fmt(p50, 3)} ms, p99 ${fmt(p99, 3)} ms`,
      `linear scan p50 ${fmt(scanP50, 1)} ms`,
      `${fmt(scanP50 / p50, 0)}x faster at p50`,
    );
    out[label] = { p50, p99, scanP50, speedup: scanP50 / p50 };
    const bound = size === 1 ? 1 : 5;
    target(
      `search, ${label}, p99 under ${bound} ms on ${archive.turns.length} turns`,
      `${fmt(p99, 3)} ms`,
      p99 < bound,
    );
  }
  const textBytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const index = await SearchIndex.build({
      count: archive.turns.length,
      segments: archive.segments,
      speakerOf: archive.turnSpeaker,
    });
    gc();
    const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    row(
      'search',
      'index heap',
      `${fmt((after - before) / 1e6)} MB`,
      `turn text ${fmt(textBytes / 1e6)} MB (UTF-8)`,
      `${fmt((after - before) / textBytes, 2)}x text`,
    );
    out.indexBytes = after - before;
    out.textBytes = textBytes;
    void index;
  }
  results.search = out;
}

/** Bytes of every file under `dir`. */
function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

/**
 * The PostgreSQL archive: sync (MB/s, beside a raw read; an unchanged re-sync), the database's size, latencies of
 * each kind of read a replica makes (a request each: snapshot, queries, commit), and a replica's requests/s beside
 * the in-memory server's, caches off on both.
 */
async function postgres(): Promise<void> {
  const { startCluster } = await import('../test/helpers/postgres.js');
  const { createPool } = await fromDist<typeof import('../src/pg/client.js')>('pg/client.js');
  const { syncFolder } = await fromDist<typeof import('../src/pg/sync.js')>('pg/sync.js');
  const { PgFollower } = await fromDist<typeof import('../src/pg/follower.js')>('pg/follower.js');
  progress('postgres: starting a cluster');
  const cluster = await startCluster();
  const out: Record<string, unknown> = {};
  try {
    const corpora: [string, number][] = [full ? ['10k', 720] : ['100k-turns', 360]];
    if (huge) corpora.push(['2m-turns', 7200]);
    for (const [index, [name, episodes]] of corpora.entries()) {
      const dir = corpus(name, episodes);
      const admin = createPool(cluster.url, { max: 1, statementTimeoutMs: 0 });
      const db = `bench_${index}`;
      await admin.query(`DROP DATABASE IF EXISTS ${db}`);
      await admin.query(`CREATE DATABASE ${db}`);
      await admin.end();
      const url = cluster.url.replace(/\/postgres\?/, `/${db}?`);
      const pool = createPool(url, { max: 2, statementTimeoutMs: 0 });
      const bytes = folderBytes(dir);
      const mb = bytes / 1e6;
      progress(`postgres ${name}: raw read, then the first sync`);
      const rawMs = (await childJson(['raw', dir])).ms!;
      const first = await syncFolder(pool, dir);
      if (!first.ok) throw new Error(first.message);
      progress(`postgres ${name}: an unchanged re-sync`);
      const again = await syncFolder(pool, dir);
      if (!again.ok) throw new Error(again.message);
      const size = Number((await pool.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n);
      await pool.end();
      const turns = first.stats.turns;
      const syncMBps = mb / (first.ms / 1000);
      row(
        'postgres',
        `sync ${name}: ${first.stats.files} files, ${fmt(mb)} MB, ${turns} turns, into an empty database`,
        `${fmt(syncMBps)} MB/s`,
        `raw read ${fmt(mb / (rawMs / 1000))} MB/s`,
        `${fmt(first.ms / rawMs)}x raw time`,
      );
      row('postgres', `re-sync ${name}, nothing changed`, `${fmt(again.ms / 1000, 2)} s`, `wrote: ${again.changed}`);
      row(
        'postgres',
        `database size, ${name}`,
        `${fmt(size / 1e6)} MB`,
        `corpus ${fmt(mb)} MB`,
        `${fmt(size / bytes, 2)}x corpus`,
      );
      if (name === '10k') {
        target('sync of the 10k-file corpus at 10 MB/s or more', `${fmt(syncMBps)} MB/s`, syncMBps >= 10);
        target('unchanged re-sync of 10k files under 3 s', `${fmt(again.ms / 1000, 2)} s`, again.ms < 3000);
      }
      const latencies = await pgLatencies(url, dir, turns, PgFollower);
      out[name] = {
        files: first.stats.files,
        turns,
        megabytes: mb,
        rawMs,
        syncMs: first.ms,
        syncMBps,
        resyncMs: again.ms,
        databaseBytes: size,
        latencies,
      };
      if (index === 0) out.serving = await pgServing(url, dir);
    }
  } finally {
    await cluster.stop();
  }
  results.postgres = out;
}

/** p50/p99 of each kind of read, each sample a request of its own (snapshot, queries, commit). */
async function pgLatencies(
  url: string,
  dir: string,
  turns: number,
  PgFollower: typeof import('../src/pg/follower.js').PgFollower,
): Promise<Record<string, { p50: number; p99: number }>> {
  const archive = await loadArchive(dir);
  const follower = new PgFollower(url, { pool: { max: 4, statementTimeoutMs: 0 } });
  await follower.start();
  const backend = follower.backend!;
  const rand = random(17);
  const pickTurn = () => archive.turns.at(Math.floor(rand() * archive.turns.length))!;
  const tokenized = () => words(pickTurn().text);
  const oneWord = () => {
    const w = tokenized();
    return w.length ? w[Math.floor(rand() * w.length)]! : 'the';
  };
  const phrase = () => {
    const w = tokenized();
    const at = Math.floor(rand() * Math.max(1, w.length - 1));
    return w.length > 1 ? `"${w[at]} ${w[at + 1]}"` : 'the';
  };
  const search = (q: string) => async (source: import('../src/archive/index.js').Source) => {
    const parsed = parseSearchQuery(q);
    if (parsed.ok) await source.search(parsed.query, null, 0, 20);
  };
  const kinds: [string, () => (source: import('../src/archive/index.js').Source) => Promise<unknown>][] = [
    [
      'turn by id',
      () => {
        const id = pickTurn().id;
        return async (s) => s.turnsByIds([id]);
      },
    ],
    [
      'segment with its turns',
      () => {
        const id = pickTurn().segment.id;
        return async (s) => {
          const [seg] = await s.segmentsByIds([id]);
          await s.segmentTurns(seg!);
        };
      },
    ],
    [
      '_entities, 100 turns',
      () => {
        const ids = Array.from({ length: 100 }, () => pickTurn().id);
        return async (s) => s.turnsByIds(ids);
      },
    ],
    [
      '_entities, 1,000 turns',
      () => {
        const ids = Array.from({ length: 1000 }, () => pickTurn().id);
        return async (s) => s.turnsByIds(ids);
      },
    ],
    ['search, one word', () => search(oneWord())],
    ['search, one frequent word ("the")', () => search('the')],
    ['search, three words', () => search(`${oneWord()} ${oneWord()} ${oneWord()}`)],
    ['search, a phrase', () => search(phrase())],
    ['search, stop-word phrase ("and the")', () => search('"and the"')],
  ];
  const out: Record<string, { p50: number; p99: number }> = {};
  for (const [kind, make] of kinds) {
    progress(`postgres ${turns} turns: ${kind}`);
    const times: number[] = [];
    const samples = kind.startsWith('search') ? 100 : 200;
    for (let i = 0; i < samples + 10; i++) {
      const work = make();
      const source = backend.forRequest();
      const started = performance.now();
      await work(source);
      const ms = performance.now() - started;
      source.close?.();
      if (i >= 10) times.push(ms);
    }
    const p50 = median(times);
    const p99 = quantile(times, 0.99);
    out[kind] = { p50, p99 };
    row(
      'postgres',
      `${kind}, ${turns} turns`,
      `p50 ${fmt(p50, 2)} ms, p99 ${fmt(p99, 2)} ms`,
      'one request each: snapshot, queries, commit',
    );
    if (kind.startsWith('search'))
      target(`PostgreSQL ${kind} on ${turns} turns: p99 under 250 ms`, `${fmt(p99, 1)} ms`, p99 < 250);
  }
  await follower.stop();
  return out;
}

/** Requests/s of varied segment queries and `_entities` x100 from a replica and from the in-memory server. */
async function pgServing(url: string, dir: string): Promise<Record<string, unknown>> {
  const archive = await loadArchive(dir);
  const rand = random(5);
  const segments = servingSegments(archive);
  const loads: Load[] = [
    {
      title: 'segment with ~20 turns, 300 different ids',
      bodies: [...segments]
        .sort(() => rand() - 0.5)
        .slice(0, 300)
        .map((s) => body(SEGMENT, { id: s.id })),
    },
    {
      title: '_entities, 100 distinct Turn representations',
      bodies: Array.from({ length: 300 }, () =>
        body(ENTITIES, {
          r: Array.from({ length: 100 }, () => ({
            __typename: 'Turn',
            id: archive.turns.at(Math.floor(rand() * archive.turns.length))!.id,
          })),
        }),
      ),
    },
  ];
  const off = { RESPONSE_CACHE_MAX_BYTES: '0', ENTITY_VIEWS_MAX_BYTES: '0' };
  const out: Record<string, unknown> = {};
  const memory = await startSubgraph(dir, off);
  const fromMemory: LoadResult[] = [];
  for (const load of loads) {
    progress(`postgres serving: ${load.title}, in memory`);
    fromMemory.push(await cannon(memory.url, load));
  }
  await stop(memory.child);
  const replica = await startSubgraph(dir, { ...off, DATABASE_CACHE_MAX_BYTES: '0', DATABASE_URL: url });
  for (const [i, load] of loads.entries()) {
    progress(`postgres serving: ${load.title}, from PostgreSQL`);
    const r = await cannon(replica.url, load);
    const m = fromMemory[i]!;
    const ratio = r.rps / m.rps;
    row(
      'postgres',
      `(c) ${load.title}, from PostgreSQL, caches off`,
      `${fmt(r.rps, 0)} req/s`,
      `in memory ${fmt(m.rps, 0)} req/s; p50 ${r.p50} ms, p99 ${r.p99} ms${r.errors ? `, ${r.errors} errors` : ''}`,
      `${fmt(ratio, 2)}x in memory`,
    );
    out[load.title] = { postgres: r, memory: m, ratio };
    const bound = i === 0 ? 0.5 : 0.3;
    target(
      `${load.title} from PostgreSQL at least ${bound}x the in-memory server, caches off`,
      `${fmt(ratio, 2)}x`,
      ratio >= bound,
    );
  }
  await stop(replica.child);
  // The replica's record cache on (its default budget), the response cache and entity views still off.
  const cached = await startSubgraph(dir, { ...off, DATABASE_URL: url });
  for (const [i, load] of loads.entries()) {
    progress(`postgres serving: ${load.title}, from PostgreSQL with the record cache`);
    const r = await cannon(cached.url, load);
    const ratio = r.rps / fromMemory[i]!.rps;
    row(
      'postgres',
      `(c) ${load.title}, from PostgreSQL, record cache on (DATABASE_CACHE_MAX_BYTES default)`,
      `${fmt(r.rps, 0)} req/s`,
      `p50 ${r.p50} ms, p99 ${r.p99} ms${r.errors ? `, ${r.errors} errors` : ''}`,
      `${fmt(ratio, 2)}x in memory`,
    );
    out[`${load.title}, record cache`] = { postgres: r, ratio };
  }
  await stop(cached.child);
  return out;
}

function printTable(): void {
  const headers = { section: 'section', measure: 'measure', value: 'value', anchor: 'anchor / detail', ratio: 'ratio' };
  const all = [headers, ...rows];
  const width = (k: keyof typeof headers) => Math.max(...all.map((r) => r[k].length));
  const line = (r: typeof headers) =>
    `| ${(Object.keys(headers) as (keyof typeof headers)[]).map((k) => r[k].padEnd(width(k))).join(' | ')} |`;
  console.log(line(headers));
  console.log(`|${(Object.keys(headers) as (keyof typeof headers)[]).map((k) => '-'.repeat(width(k) + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

const m = results.machine as Record<string, unknown>;
console.error(`bench (${full ? 'full' : 'quick'}) on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}`);
if (run('ingest')) await ingest();
if (run('serving') || run('entities') || run('search')) {
  const dir = corpus('100k-turns', 360);
  const archive = await loadArchive(dir);
  // Entities first: search leaves a large heap of garbage behind, and its collection would land in their times.
  if (run('entities')) await entities(archive);
  if (run('search')) await search(archive);
  if (run('serving')) await serving(archive, dir);
}
if (run('postgres')) await postgres();
printTable();
console.log('\nTargets:');
for (const t of targets) console.log(`- ${t.met ? 'met' : 'NOT met'}: ${t.target} (${t.measured})`);
const written = { ...results, targets, table: rows };
writeFileSync(here('./results.json'), JSON.stringify(written, null, 2) + '\n');
console.error('wrote bench/results.json');
await writeBenchmarksPage(written as unknown as BenchResults, here('../docs/benchmarks.md'));
console.error('wrote docs/benchmarks.md');
