/**
 * The rows a file brings, as the in-memory archive makes its records (src/archive/build.ts): a segment's row in
 * COPY's text format, its turns' in COPY's binary format, and its speakers' counts; and the COPY that takes them.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { from as copyFrom } from 'pg-copy-streams';

import { episodeId } from '../archive/index.js';
import { ASCII_FLAG, END, SPEAKER, START, STRIDE, TEXT_END, TEXT_START, WORDS } from '../parser/index.js';
import { roundSeconds, slugify, timecodeOfFrames } from '../parser/index.js';
import type { CompactSegment, Timecode } from '../parser/index.js';
import type { TermDictionary } from '../search/tokens.js';
import type { PoolClient } from './client.js';
import { BinaryRows, copyArray, copyNumber, copyText, NULL, TsvectorWriter } from './copy.js';

/** A speaker's words, turns and talk time (unrounded). */
export interface SpeakerCount {
  words: number;
  turns: number;
  talk: number;
}

/**
 * Streams rows into a COPY ... FROM STDIN: `chunks` of the binary format as they are, or text-format lines
 * batched into chunks of about 256 KiB (one write per line would cost more than the lines).
 */
export async function copyRows(
  client: PoolClient,
  sql: string,
  rows: Iterable<string> | Iterable<Buffer>,
  signal: AbortSignal | undefined,
): Promise<void> {
  function* chunks(): Generator<string | Buffer> {
    let text = '';
    for (const row of rows) {
      signal?.throwIfAborted();
      if (typeof row !== 'string') {
        yield row;
        continue;
      }
      text += row;
      if (text.length >= 262_144) {
        yield text;
        text = '';
      }
    }
    if (text !== '') yield text;
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(sql)));
}

/** A turn's start or end seconds, as the in-memory archive computes them (src/archive/build.ts). */
function secondsOf(s: CompactSegment, turn: number, column: typeof START | typeof END): number {
  const frames = s.turns.cols[turn * STRIDE + column]!;
  if (frames >= 0) return frames / s.fps;
  const written = s.turns.timecodes!.get(turn)!;
  return (column === START ? written.start : written.end).seconds;
}

function timecodeOf(s: CompactSegment, turn: number, column: typeof START | typeof END): Timecode {
  const frames = s.turns.cols[turn * STRIDE + column]!;
  if (frames >= 0) return timecodeOfFrames(frames, s.fps);
  const written = s.turns.timecodes!.get(turn)!;
  return column === START ? written.start : written.end;
}

const distinct = (values: Iterable<string>): string[] => [...new Set(values)];
const folded = (values: readonly string[]): string[] => distinct(values.map((v) => v.toLowerCase()));

/** The segments' rows, as buildSegment makes the records. */
export function* segmentLines(
  segments: readonly CompactSegment[],
  ordOf: ReadonlyMap<string, number>,
  idxOf: ReadonlyMap<string, number>,
): Generator<string> {
  for (const s of segments) {
    const { cols, count, names } = s.turns;
    const speakerIds = names.map(slugify);
    const seen: string[] = [];
    let words = 0;
    let earliest = -1;
    let latest = -1;
    for (let t = 0; t < count; t++) {
      const o = t * STRIDE;
      const speaker = speakerIds[cols[o + SPEAKER]! & ~ASCII_FLAG]!;
      if (!seen.includes(speaker)) seen.push(speaker);
      words += cols[o + WORDS]!;
      if (earliest === -1 || secondsOf(s, t, START) < secondsOf(s, earliest, START)) earliest = t;
      if (latest === -1 || secondsOf(s, t, END) > secondsOf(s, latest, END)) latest = t;
    }
    const start = s.start ?? timecodeOf(s, earliest, START);
    const end = s.end ?? timecodeOf(s, latest, END);
    const seriesId = slugify(s.series);
    yield (
      [
        copyText(s.slug),
        copyText(episodeId(seriesId, s.episode)),
        copyText(seriesId),
        copyNumber(ordOf.get(seriesId)!),
        copyNumber(s.episode),
        copyNumber(s.chunk),
        copyNumber(idxOf.get(s.file)!),
        copyText(s.file),
        copyText(s.title),
        s.description === null ? NULL : copyText(s.description),
        s.summary === null ? NULL : copyText(s.summary),
        copyNumber(s.fps),
        copyText(start.smpte),
        copyNumber(start.seconds),
        copyText(end.smpte),
        copyNumber(end.seconds),
        copyNumber(roundSeconds(end.seconds - start.seconds)),
        copyArray(s.topics),
        copyArray(s.tags),
        copyArray(s.topicTags),
        copyArray(s.entities),
        copyArray(s.mentions),
        copyArray(folded(s.topics)),
        copyArray(folded(s.tags)),
        copyArray(folded(s.entities)),
        copyArray(folded(s.mentions)),
        copyArray(seen),
        copyArray(distinct(s.participants.map(slugify))),
        copyNumber(words),
        copyNumber(count),
      ].join('\t') + '\n'
    );
  }
}

/**
 * The turns' rows, in COPY's binary format (their texts are the bytes of the file); counts in `termCounts` how
 * many of them hold each word (by `dictionary` id).
 */
export function* turnChunks(
  segments: readonly CompactSegment[],
  ordOf: ReadonlyMap<string, number>,
  dictionary: TermDictionary,
  termCounts: number[],
): Generator<Buffer> {
  const rows = new BinaryRows();
  const tsvectors = new TsvectorWriter();
  const writeTsvector = (buffer: Buffer, at: number) => tsvectors.write(buffer, at);
  for (const s of segments) {
    const { cols, count, names, text } = s.turns;
    const speakerIds = names.map(slugify);
    const seriesId = slugify(s.series);
    const episode = episodeId(seriesId, s.episode);
    const ord = ordOf.get(seriesId)!;
    for (let t = 0; t < count; t++) {
      const o = t * STRIDE;
      const ascii = (cols[o + SPEAKER]! & ASCII_FLAG) !== 0;
      const from = cols[o + TEXT_START]!;
      const to = cols[o + TEXT_END]!;
      const n = dictionary.termsInto(text, from, to, ascii, true);
      const tsvectorBytes = tsvectors.measure(dictionary.terms, dictionary.ids, n);
      for (const id of tsvectors.kept) termCounts[id] = (termCounts[id] ?? 0) + 1;
      const start = timecodeOf(s, t, START);
      const end = timecodeOf(s, t, END);
      rows.row(15);
      rows.text(s.slug);
      rows.int4(t + 1);
      rows.text(episode);
      rows.int4(ord);
      rows.int4(s.episode);
      rows.int4(s.chunk);
      rows.text(speakerIds[cols[o + SPEAKER]! & ~ASCII_FLAG]!);
      rows.text(start.smpte);
      rows.float8(start.seconds);
      rows.text(end.smpte);
      rows.float8(end.seconds);
      rows.int4(cols[o + WORDS]!);
      rows.bytes(text, from, to);
      rows.raw(tsvectorBytes, writeTsvector);
      rows.int4(n);
    }
    yield* rows.take();
  }
  rows.end();
  yield* rows.take(true);
}

/**
 * Each speaker's words, turns and talk time over the given files' turns, summed in archive order as the build sums
 * them (the talk time before rounding).
 */
export function speakerCounts(
  segments: readonly CompactSegment[],
  ordOf: ReadonlyMap<string, number>,
): Map<string, SpeakerCount> {
  const ordered = segments
    .map((s) => ({ s, key: [ordOf.get(slugify(s.series))!, s.episode, s.chunk] as const }))
    .sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2]);
  const counts = new Map<string, SpeakerCount>();
  for (const { s } of ordered) {
    const ids = s.turns.names.map(slugify);
    for (let t = 0; t < s.turns.count; t++) {
      const o = t * STRIDE;
      const id = ids[s.turns.cols[o + SPEAKER]! & ~ASCII_FLAG]!;
      let count = counts.get(id);
      if (!count) counts.set(id, (count = { words: 0, turns: 0, talk: 0 }));
      count.words += s.turns.cols[o + WORDS]!;
      count.turns++;
      count.talk += secondsOf(s, t, END) - secondsOf(s, t, START);
    }
  }
  return counts;
}
