/**
 * buildArchive: parsed files in (in load order), an immutable, indexed archive out. Also where the rules
 * that span files live: duplicate slugs and chunks, and which spelling names a series or a speaker.
 *
 * Segments, episodes, series and speakers become objects; turns stay in the columns each file was parsed into
 * (src/parser/columns.ts), numbered by position in archive order, and are made into records on demand
 * (src/archive/turns.ts). The search index is built last, in slices, so a reload never holds the event loop long.
 */
import { compareCodeUnits } from '../lib/order.js';
import { UNSLICED, type Slices } from '../lib/slices.js';
import { diagnostic, slugify, type Diagnostic } from '../parser/index.js';
import { ASCII_FLAG, END, SPEAKER, START, STRIDE, WORDS, type CompactSegment } from '../parser/index.js';
import { timecodeOfFrames, type CompactResult } from '../parser/index.js';
import { roundSeconds, type Timecode } from '../parser/index.js';
import { SearchIndex } from '../search/index.js';
import { turnAt, TurnPositions, TurnRange, type TurnStore } from './turns.js';
import type { Archive, ById, EpisodeRecord, SegmentRecord, SeriesRecord, SpeakerRecord, TurnRecord } from './types.js';

/** Records are assembled field by field while building, then only ever read. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const titleCollator = new Intl.Collator('en', { sensitivity: 'accent' });

/** The episode id rule: `<series id>-ep<number>`. */
export function episodeId(seriesId: string, number: number): string {
  return `${seriesId}-ep${number}`;
}

/** The turn id rule: `<segment id>#<number>`. */
export function turnId(segmentId: string, number: number): string {
  return `${segmentId}#${number}`;
}

/**
 * A turn id's segment and number, as `turnId` writes them (no sign, no leading zero, at most 9 digits); null when
 * the value cannot be a turn id. Read by hand: this runs for every representation of every router batch.
 *
 * @example
 * parseTurnId('ep3#12') // { segment: 'ep3', number: 12 }
 * parseTurnId('ep3#012') // null
 */
export function parseTurnId(id: unknown): { segment: string; number: number } | null {
  if (typeof id !== 'string') return null;
  const hash = id.lastIndexOf('#');
  if (hash === -1 || hash === id.length - 1 || id.length - hash > 10) return null;
  let n = 0;
  for (let i = hash + 1; i < id.length; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9 || (d === 0 && i === hash + 1)) return null;
    n = n * 10 + d;
  }
  return { segment: id.slice(0, hash), number: n };
}

export interface BuildOptions {
  /** Diagnostics to report beside the files' own (files still served from their last good version). */
  readonly extraDiagnostics?: readonly Diagnostic[];
  /** How the search index build shares the event loop; default: not at all. */
  readonly slices?: Slices;
}

/**
 * Builds the archive from parse results in load order (sorted relative paths). A file whose slug, or whose
 * (series, episode, chunk), an earlier file already took is rejected with an error; everything else loads.
 *
 * @example
 * const archive = await buildArchive([parseCompact(bytes, 'show/ep1.md', { maxBytes })]);
 * archive.segmentById.get('ep1')?.turns.length
 */
export async function buildArchive(results: readonly CompactResult[], options: BuildOptions = {}): Promise<Archive> {
  const diagnostics: Diagnostic[] = [...(options.extraDiagnostics ?? [])];
  const slices = options.slices ?? UNSLICED;
  // Every loop over files or segments yields now and then: a reload shares the event loop with requests.
  const tick = async (): Promise<void> => {
    const pause = slices.tick();
    if (pause) await pause;
  };
  const accepted = acceptUnique(results, diagnostics);

  // Names and titles are claimed in load order, so the first spelling wins everywhere.
  const speakerNames = new Map<string, string>();
  const seriesTitles = new Map<string, string>();
  for (const parsed of accepted) {
    const id = slugify(parsed.series);
    if (!seriesTitles.has(id)) seriesTitles.set(id, parsed.series);
    for (const name of [...parsed.participants, ...parsed.turns.names]) {
      const speakerId = slugify(name);
      if (!speakerNames.has(speakerId)) speakerNames.set(speakerId, name);
    }
    await tick();
  }
  const speakers = [...speakerNames]
    .sort(([a], [b]) => compareCodeUnits(a, b))
    .map(([id, name], index): Mutable<SpeakerRecord> => ({
      __typename: 'Speaker',
      id,
      name,
      index,
      episodes: [],
      segments: [],
      turns: null as never,
      wordCount: 0,
      talkTimeSeconds: 0,
    }));
  const speakerById = new Map(speakers.map((s) => [s.id, s]));
  const speakerOf = (name: string) => speakerById.get(slugify(name))!;

  // Group: series -> episode number -> segments.
  const grouped = new Map<string, Map<number, CompactSegment[]>>();
  for (const parsed of accepted) {
    const seriesId = slugify(parsed.series);
    const episodes = grouped.get(seriesId) ?? new Map<number, CompactSegment[]>();
    grouped.set(seriesId, episodes);
    const chunks = episodes.get(parsed.episode) ?? [];
    episodes.set(parsed.episode, chunks);
    chunks.push(parsed);
  }
  const series: Mutable<SeriesRecord>[] = [...grouped].map(([id, episodes]) => ({
    __typename: 'Series',
    id,
    title: seriesTitles.get(id)!,
    episodes: [...episodes.keys()].sort((a, b) => a - b) as never,
  }));
  series.sort((a, b) => titleCollator.compare(a.title, b.title) || compareCodeUnits(a.id, b.id));

  // Archive order: series, episode number, chunk. Positions are assigned in that order.
  const episodes: Mutable<EpisodeRecord>[] = [];
  const segments: Mutable<SegmentRecord>[] = [];
  let position = 0;
  for (const s of series) {
    const numbers = s.episodes as unknown as number[];
    const built: EpisodeRecord[] = [];
    for (const number of numbers) {
      const chunks = grouped
        .get(s.id)!
        .get(number)!
        .sort((a, b) => a.chunk - b.chunk);
      const episode = {
        __typename: 'Episode',
        id: episodeId(s.id, number),
        series: s,
        number,
      } as Mutable<EpisodeRecord>;
      episode.firstTurn = position;
      const episodeSegments: SegmentRecord[] = [];
      for (const [index, parsed] of chunks.entries()) {
        const segment = buildSegment(parsed, episode, index, position, speakerOf);
        position += parsed.turns.count;
        segments.push(segment);
        episodeSegments.push(segment);
        await tick();
      }
      episode.segments = episodeSegments;
      episodes.push(episode);
      built.push(episode);
    }
    s.episodes = built;
  }
  const count = position;

  // Columns over every position, and each speaker's positions (in archive order).
  const turnSegment = new Int32Array(count);
  const turnSpeaker = new Int32Array(count);
  const perSpeaker = new Int32Array(speakers.length + 1);
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    const cols = segment.compact.cols;
    for (let t = 0; t < segment.compact.count; t++) {
      const p = segment.firstTurn + t;
      const speaker = segment.turnSpeakers[cols[t * STRIDE + SPEAKER]! & ~ASCII_FLAG]!;
      turnSegment[p] = index;
      turnSpeaker[p] = speaker.index;
      perSpeaker[speaker.index + 1]!++;
    }
    await tick();
  }
  for (let i = 0; i < speakers.length; i++) perSpeaker[i + 1]! += perSpeaker[i]!;
  const speakerTurns = new Int32Array(count);
  const fill = perSpeaker.slice(0, speakers.length);
  for (let p = 0; p < count; p++) speakerTurns[fill[turnSpeaker[p]!]!++] = p;

  const store: TurnStore = { count, segments, turnSegment };
  for (const segment of segments) {
    segment.turns = new TurnRange(store, segment.firstTurn, segment.firstTurn + segment.compact.count);
    await tick();
  }
  for (const episode of episodes) {
    const last = episode.segments.at(-1)!;
    episode.turns = new TurnRange(store, episode.firstTurn, last.firstTurn + last.compact.count);
    episode.speakers = distinctById(episode.segments.flatMap((s) => s.speakers));
    episode.start = episode.segments[0]!.start;
    episode.end = last.end;
    episode.durationSeconds = roundSeconds(episode.end.seconds - episode.start.seconds);
    episode.topics = distinctFolded(episode.segments.flatMap((s) => s.topics));
    episode.wordCount = episode.segments.reduce((sum, s) => sum + s.wordCount, 0);
  }
  // Speakers' lists follow archive order: walk the segments in that order.
  for (const segment of segments) {
    const { cols } = segment.compact;
    for (let t = 0; t < segment.compact.count; t++) {
      const o = t * STRIDE;
      const s = segment.turnSpeakers[cols[o + SPEAKER]! & ~ASCII_FLAG] as Mutable<SpeakerRecord> & {
        segments: SegmentRecord[];
        episodes: EpisodeRecord[];
      };
      if (s.segments.at(-1) !== segment) s.segments.push(segment);
      if (s.episodes.at(-1) !== segment.episode) s.episodes.push(segment.episode);
      s.wordCount += cols[o + WORDS]!;
      s.talkTimeSeconds += secondsOf(segment, t, END) - secondsOf(segment, t, START);
    }
    await tick();
  }
  for (const s of speakers) {
    s.talkTimeSeconds = roundSeconds(s.talkTimeSeconds);
    s.turns = new TurnPositions(store, speakerTurns.subarray(perSpeaker[s.index]!, perSpeaker[s.index + 1]!));
  }

  const segmentById = new Map(segments.map((s) => [s.id, s as SegmentRecord]));
  const turnById: ById<TurnRecord> = {
    get(id) {
      const key = parseTurnId(id);
      if (!key) return undefined;
      const segment = segmentById.get(key.segment);
      const n = key.number;
      if (!segment || n > segment.compact.count) return undefined;
      return turnAt(store, segment.firstTurn + n - 1);
    },
  };
  const search = await SearchIndex.build({ count, segments, speakerOf: turnSpeaker }, options.slices ?? UNSLICED);

  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return {
    series,
    episodes,
    segments,
    speakers,
    turns: new TurnRange(store, 0, count),
    turnSpeaker,
    search,
    seriesById: new Map(series.map((s) => [s.id, s])),
    episodeById: new Map(episodes.map((e) => [e.id, e])),
    segmentById,
    turnById,
    speakerById: speakerById as Map<string, SpeakerRecord>,
    segmentsByTopic: indexBy(segments, (s) => s.topics),
    segmentsByTag: indexBy(segments, (s) => s.tags),
    segmentsByEntity: indexBy(segments, (s) => s.entities),
    segmentsByMention: indexBy(segments, (s) => s.mentions),
    diagnostics,
    stats: {
      series: series.length,
      episodes: episodes.length,
      segments: segments.length,
      turns: count,
      speakers: speakers.length,
      files: results.length,
      errors,
      warnings: diagnostics.length - errors,
    },
  };
}

/** Collects every diagnostic and keeps the files whose slug and (series, episode, chunk) are still free. */
function acceptUnique(results: readonly CompactResult[], diagnostics: Diagnostic[]): CompactSegment[] {
  const slugOwner = new Map<string, string>();
  const chunkOwner = new Map<string, string>();
  const accepted: CompactSegment[] = [];
  for (const result of results) {
    if (!result.ok) {
      diagnostics.push(...result.errors, ...result.warnings);
      continue;
    }
    const s = result.segment;
    const fileDiagnostics: Diagnostic[] = [];
    const slugTakenBy = slugOwner.get(s.slug);
    if (slugTakenBy !== undefined) {
      fileDiagnostics.push(diagnostic('DUPLICATE_SLUG', s.file, s.lines.slug, s.slug, slugTakenBy));
    }
    const chunkKey = `${slugify(s.series)}\u0000${s.episode}\u0000${s.chunk}`;
    const chunkTakenBy = chunkOwner.get(chunkKey);
    if (chunkTakenBy !== undefined) {
      fileDiagnostics.push(
        diagnostic('DUPLICATE_CHUNK', s.file, s.lines.chunk, s.series, s.episode, s.chunk, chunkTakenBy),
      );
    }
    diagnostics.push(...fileDiagnostics, ...result.warnings);
    if (fileDiagnostics.length > 0) continue;
    slugOwner.set(s.slug, s.file);
    chunkOwner.set(chunkKey, s.file);
    accepted.push(s);
  }
  return accepted;
}

function buildSegment(
  parsed: CompactSegment,
  episode: EpisodeRecord,
  index: number,
  firstTurn: number,
  speakerOf: (name: string) => SpeakerRecord,
): Mutable<SegmentRecord> {
  const { turns: compact } = parsed;
  const turnSpeakers = compact.names.map(speakerOf);
  const segment: Mutable<SegmentRecord> = {
    __typename: 'Segment',
    id: parsed.slug,
    file: parsed.file,
    title: parsed.title,
    episode,
    chunk: parsed.chunk,
    index,
    description: parsed.description,
    summary: parsed.summary,
    fps: parsed.fps,
    start: null as never,
    end: null as never,
    durationSeconds: 0,
    speakers: [],
    participants: distinctById(parsed.participants.map(speakerOf)),
    topics: parsed.topics,
    tags: parsed.tags,
    topicTags: parsed.topicTags,
    entities: parsed.entities,
    mentions: parsed.mentions,
    turns: null as never,
    wordCount: 0,
    firstTurn,
    compact,
    turnSpeakers,
  };
  // Turn speakers in order of first turn; the range from the front matter, else the earliest and latest turn.
  const seen: SpeakerRecord[] = [];
  let words = 0;
  let earliest = -1;
  let latest = -1;
  for (let t = 0; t < compact.count; t++) {
    const o = t * STRIDE;
    const speaker = turnSpeakers[compact.cols[o + SPEAKER]! & ~ASCII_FLAG]!;
    if (!seen.includes(speaker)) seen.push(speaker);
    words += compact.cols[o + WORDS]!;
    if (earliest === -1 || secondsOf(segment, t, START) < secondsOf(segment, earliest, START)) earliest = t;
    if (latest === -1 || secondsOf(segment, t, END) > secondsOf(segment, latest, END)) latest = t;
  }
  segment.speakers = seen;
  segment.wordCount = words;
  segment.start = parsed.start ?? timecodeOf(segment, earliest, START);
  segment.end = parsed.end ?? timecodeOf(segment, latest, END);
  segment.durationSeconds = roundSeconds(segment.end.seconds - segment.start.seconds);
  return segment;
}

/** Seconds of a turn's start or end, as the parser computed them. */
function secondsOf(
  segment: Pick<SegmentRecord, 'compact' | 'fps'>,
  turn: number,
  column: typeof START | typeof END,
): number {
  const frames = segment.compact.cols[turn * STRIDE + column]!;
  if (frames >= 0) return frames / segment.fps;
  const written = segment.compact.timecodes!.get(turn)!;
  return (column === START ? written.start : written.end).seconds;
}

function timecodeOf(
  segment: Pick<SegmentRecord, 'compact' | 'fps'>,
  turn: number,
  column: typeof START | typeof END,
): Timecode {
  const frames = segment.compact.cols[turn * STRIDE + column]!;
  if (frames >= 0) return timecodeOfFrames(frames, segment.fps);
  const written = segment.compact.timecodes!.get(turn)!;
  return column === START ? written.start : written.end;
}

function distinctById<T extends { id: string }>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(item.id) && seen.add(item.id));
}

/** Distinct strings, case-insensitively, keeping the first spelling. */
function distinctFolded(items: readonly string[]): string[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = item.toLowerCase();
    return !seen.has(key) && seen.add(key);
  });
}

function indexBy(
  segments: readonly SegmentRecord[],
  values: (s: SegmentRecord) => readonly string[],
): Map<string, SegmentRecord[]> {
  const index = new Map<string, SegmentRecord[]>();
  for (const segment of segments) {
    for (const key of new Set(values(segment).map((v) => v.toLowerCase()))) {
      const list = index.get(key);
      if (list) list.push(segment);
      else index.set(key, [segment]);
    }
  }
  return index;
}
