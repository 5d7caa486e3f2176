/**
 * `npm run generate-corpus -- --out DIR --episodes N [--seed S]`: writes a realistic synthetic archive in the real
 * file format. Seeded, so the same arguments always give the same bytes. Several series, speakers shared across
 * them (names with diacritics), 8-20 chunks per episode, 10-30 turns per chunk of 5-80 words drawn from a Zipf
 * distribution, front matter shaped like the real transcript in data/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** mulberry32: small, fast, seeded. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SERIES = ['The Good Thing', 'Northern Lights', 'Graph Talk', 'Büro Stunde', 'Ops After Dark', 'Café Federation'];
const SPEAKERS = [
  'Stefan',
  'Dustin',
  'Jens Neuse',
  'Björn Schwenzer',
  'Ana María López',
  'Søren Weiß',
  'Chloé Dubois',
  'Łukasz Nowak',
  'Priya Raman',
  'Kenji Sato',
  'Zoë Müller',
  'Mateo Álvarez',
];
const TOPICS = ['Cosmo', 'Federation', 'Kubernetes', 'GraphQL', 'Caching', 'Observability', 'Routers', 'Schema Design'];
const TAGS = ['cosmo', 'kubernetes', 'graphql', 'performance', 'security', 'community'];
const ENTITIES = ['ClickHouse', 'Keycloak', 'Cloudflare', 'AWS', 'GCP', 'Apollo', 'Hive', 'Prüfung GmbH'];
// Common English words first, so the Zipf draw makes them frequent, as in speech; then domain words.
const BASE = `the and to a of that it is we you i in so like for this but they have what be on with
was just yeah not do are at there think can know if about one all or right our one more then really
because would get when people go some from thing out very how also time your them no he see which make
want going had were their has its been could build use were other first same work team actually data
schema router subgraph query federation graph service cloud latency cache request response error deploy
cluster node pod metric trace span log config release version client server team customer product
boring reliable managed database identity provider workers edge region cost scale performance security`.split(/\s+/);

function vocabulary(rand: () => number, size: number): string[] {
  const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'shi', 'vo', 'den', 'gra', 'pho', 'ster', 'qu', 'ix', 'el'];
  const words = new Set(BASE);
  words.add('prüfung');
  words.add('café');
  while (words.size < size) {
    let w = '';
    const n = 2 + Math.floor(rand() * 3);
    for (let i = 0; i < n; i++) w += syllables[Math.floor(rand() * syllables.length)];
    words.add(w);
  }
  return [...words];
}

/** Cumulative Zipf weights, for drawing word ranks with a binary search. */
function zipf(n: number, s = 1.07): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / Math.pow(i + 1, s);
  for (let i = 0; i < n; i++) cdf[i]! /= sum;
  return cdf;
}

function draw(cdf: Float64Array, r: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! < r) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const smpte = (frames: number, fps: number) => {
  const s = Math.floor(frames / fps);
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}:${pad(frames % fps)}`;
};

export interface GenerateOptions {
  readonly out: string;
  readonly episodes: number;
  readonly seed?: number;
}

export interface GenerateResult {
  readonly files: number;
  readonly bytes: number;
  readonly turns: number;
}

/**
 * Writes the corpus and returns what it wrote.
 *
 * @example
 * generateCorpus({ out: 'bench/corpus/1k', episodes: 70 }) // { files: ~1000, bytes: ~7 MB, turns: ~20000 }
 */
export function generateCorpus(options: GenerateOptions): GenerateResult {
  const rand = random(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const words = vocabulary(rand, 6000);
  const cdf = zipf(words.length);
  const sentence = (count: number): string => {
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(words[draw(cdf, rand())]!);
    out[0] = out[0]!.charAt(0).toUpperCase() + out[0]!.slice(1);
    return out.join(' ') + '.';
  };
  const wrap = (text: string): string => text.replace(/(.{1,90})(?:\s+|$)/g, '$1\n').trimEnd();

  let files = 0;
  let bytes = 0;
  let turnsWritten = 0;
  const episodeNumber = new Map<string, number>();
  for (let e = 0; e < options.episodes; e++) {
    const series = SERIES[e % SERIES.length]!;
    const number = (episodeNumber.get(series) ?? 0) + 1;
    episodeNumber.set(series, number);
    const cast = [...SPEAKERS].sort(() => rand() - 0.5).slice(0, 2 + Math.floor(rand() * 3));
    const fps = 30;
    let frame = Math.floor(rand() * 600) * fps;
    const chunks = 8 + Math.floor(rand() * 13);
    const seriesSlug = series
      .toLowerCase()
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .replace(/[^a-z0-9]+/g, '-');
    const dir = path.join(options.out, seriesSlug, `ep${pad(number, 3)}`);
    mkdirSync(dir, { recursive: true });
    for (let c = 1; c <= chunks; c++) {
      const turnCount = 10 + Math.floor(rand() * 21);
      const body: string[] = [];
      const chunkStart = frame;
      const speaking = new Set<string>();
      for (let t = 0; t < turnCount; t++) {
        const speaker = pick(cast);
        speaking.add(speaker);
        const wordCount = 5 + Math.floor(rand() * 76);
        const duration = Math.round(wordCount * (0.3 + rand() * 0.2) * fps) + 1;
        body.push(`${smpte(frame, fps)} - ${smpte(frame + duration, fps)}\n${speaker}\n${wrap(sentence(wordCount))}\n`);
        frame += duration + Math.floor(rand() * fps);
      }
      turnsWritten += turnCount;
      const slug = `${seriesSlug}-ep${pad(number, 3)}-${pad(c)}`;
      const topics = [...new Set([pick(TOPICS), pick(TOPICS), pick(TOPICS)])];
      const list = (key: string, items: readonly string[]) => `${key}:\n${items.map((i) => `  - ${i}`).join('\n')}\n`;
      const front =
        `---\ntitle: ${sentence(3 + Math.floor(rand() * 4)).slice(0, -1)}\nslug: ${slug}\nseries: ${series}\n` +
        `episode: ${number}\nchunk: ${c}\n` +
        list('participants', cast) +
        `segment: ${sentence(8).slice(0, -1)}\n` +
        `timecode: ${smpte(chunkStart, fps)} - ${smpte(frame, fps)}\n` +
        `start_time: ${smpte(chunkStart, fps)}\nend_time: ${smpte(frame, fps)}\n` +
        list('speakers', [...speaking]) +
        list('topics', topics) +
        list(
          'tags',
          [pick(TAGS), pick(TAGS)].filter((v, i, a) => a.indexOf(v) === i),
        ) +
        list(
          'entities',
          [pick(ENTITIES), pick(ENTITIES)].filter((v, i, a) => a.indexOf(v) === i),
        ) +
        list('mentions', [pick(ENTITIES)]) +
        `summary: ${sentence(25)}\n---\n\n`;
      const text = front + body.join('\n');
      writeFileSync(path.join(dir, `${pad(c)}.md`), text);
      files++;
      bytes += Buffer.byteLength(text);
    }
  }
  return { files, bytes, turns: turnsWritten };
}

function parseArgs(argv: readonly string[]): GenerateOptions {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i === -1 ? undefined : argv[i + 1];
  };
  const out = get('out');
  const episodes = Number(get('episodes') ?? 700);
  const seed = Number(get('seed') ?? 42);
  if (!out || !Number.isInteger(episodes) || episodes < 1 || !Number.isInteger(seed)) {
    throw new Error('usage: npm run generate-corpus -- --out DIR [--episodes N (default 700, ~10k files)] [--seed S]');
  }
  return { out, episodes, seed };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const options = parseArgs(process.argv.slice(2));
    const started = performance.now();
    const result = generateCorpus(options);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `wrote ${result.files} files, ${(result.bytes / 1e6).toFixed(1)} MB, ${result.turns} turns to ${options.out} in ${seconds} s`,
    );
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 2;
  }
}
