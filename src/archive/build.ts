/**
 * buildArchive: parsed files in (in load order), an immutable, indexed archive out. Also where the rules
 * that span files live: duplicate slugs and chunks, and which spelling names a series or a speaker.
 */
import { diagnostic, slugify, type Diagnostic, type ParseResult, type ParsedSegment } from '../parser/index.js';
import { roundSeconds } from '../parser/timecode.js';
import { SearchIndex } from '../search/index.js';
import type {
  Archive,
  EpisodeRecord,
  SegmentRecord,
  SeriesRecord,
  SpeakerRecord,
  Timecode,
  TurnRecord,
} from './types.js';

/** Records are assembled field by field while building, then only ever read. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type SpeakerBuilder = Mutable<SpeakerRecord> & {
  episodes: EpisodeRecord[];
  segments: SegmentRecord[];
  turns: TurnRecord[];
};

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
 * Builds the archive from parse results in load order (sorted relative paths). A file whose slug, or whose
 * (series, episode, chunk), an earlier file already took is rejected with an error; everything else loads.
 *
 * @example
 * const archive = buildArchive([parseTranscript(text, 'show/ep1.md')]);
 * archive.segmentById.get('ep1')?.turns.length
 */
export function buildArchive(results: readonly ParseResult[], extraDiagnostics: readonly Diagnostic[] = []): Archive {
  const diagnostics: Diagnostic[] = [...extraDiagnostics];
  const accepted = acceptUnique(results, diagnostics);

  const speakerById = new Map<string, SpeakerBuilder>();
  const speaker = (name: string): SpeakerBuilder => {
    const id = slugify(name);
    let record = speakerById.get(id);
    if (!record) {
      record = {
        __typename: 'Speaker',
        id,
        name,
        episodes: [],
        segments: [],
        turns: [],
        wordCount: 0,
        talkTimeSeconds: 0,
      };
      speakerById.set(id, record);
    }
    return record;
  };
  // Names and titles are claimed in load order, so the first spelling wins everywhere.
  const seriesTitles = new Map<string, string>();
  for (const parsed of accepted) {
    const id = slugify(parsed.series);
    if (!seriesTitles.has(id)) seriesTitles.set(id, parsed.series);
    for (const name of parsed.participants) speaker(name);
    for (const turn of parsed.turns) speaker(turn.speaker);
  }

  // Group: series -> episode number -> segments.
  const grouped = new Map<string, Map<number, ParsedSegment[]>>();
  for (const parsed of accepted) {
    const seriesId = slugify(parsed.series);
    const episodes = grouped.get(seriesId) ?? new Map<number, ParsedSegment[]>();
    grouped.set(seriesId, episodes);
    const chunks = episodes.get(parsed.episode) ?? [];
    episodes.set(parsed.episode, chunks);
    chunks.push(parsed);
  }

  const series: SeriesRecord[] = [];
  for (const [id, episodes] of grouped) {
    const record: Mutable<SeriesRecord> = { __typename: 'Series', id, title: seriesTitles.get(id)!, episodes: [] };
    record.episodes = [...episodes.keys()]
      .sort((a, b) => a - b)
      .map((number) =>
        buildEpisode(
          record,
          number,
          episodes.get(number)!.sort((a, b) => a.chunk - b.chunk),
          speaker,
        ),
      );
    series.push(record);
  }
  series.sort((a, b) => titleCollator.compare(a.title, b.title) || compareIds(a.id, b.id));

  const episodes = series.flatMap((s) => s.episodes);
  const segments = episodes.flatMap((e) => e.segments);
  // Speakers' lists follow archive order, so walk the archive once in that order.
  for (const segment of segments) {
    for (const turn of segment.turns) {
      const s = turn.speaker as SpeakerBuilder;
      if (s.segments.at(-1) !== segment) s.segments.push(segment);
      if (s.episodes.at(-1) !== segment.episode) s.episodes.push(segment.episode);
      s.turns.push(turn);
      s.wordCount += turn.wordCount;
      s.talkTimeSeconds += turn.end.seconds - turn.start.seconds;
    }
  }
  for (const s of speakerById.values()) s.talkTimeSeconds = roundSeconds(s.talkTimeSeconds);
  const speakers = [...speakerById.values()].sort((a, b) => compareIds(a.id, b.id));

  const turns = segments.flatMap((s) => s.turns);
  turns.forEach((turn, i) => ((turn as Mutable<TurnRecord>).position = i));
  const turnById = new Map(turns.map((t) => [t.id, t]));

  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return {
    series,
    episodes,
    segments,
    speakers,
    turns,
    search: SearchIndex.build(turns),
    seriesById: new Map(series.map((s) => [s.id, s])),
    episodeById: new Map(episodes.map((e) => [e.id, e])),
    segmentById: new Map(segments.map((s) => [s.id, s])),
    turnById,
    speakerById: new Map(speakers.map((s) => [s.id, s])),
    segmentsByTopic: indexBy(segments, (s) => s.topics),
    segmentsByTag: indexBy(segments, (s) => s.tags),
    segmentsByEntity: indexBy(segments, (s) => s.entities),
    segmentsByMention: indexBy(segments, (s) => s.mentions),
    diagnostics,
    stats: {
      series: series.length,
      episodes: episodes.length,
      segments: segments.length,
      turns: turnById.size,
      speakers: speakers.length,
      files: results.length,
      errors,
      warnings: diagnostics.length - errors,
    },
  };
}

/** Collects every diagnostic and keeps the files whose slug and (series, episode, chunk) are still free. */
function acceptUnique(results: readonly ParseResult[], diagnostics: Diagnostic[]): ParsedSegment[] {
  const slugOwner = new Map<string, string>();
  const chunkOwner = new Map<string, string>();
  const accepted: ParsedSegment[] = [];
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

function buildEpisode(
  series: SeriesRecord,
  number: number,
  chunks: readonly ParsedSegment[],
  speaker: (name: string) => SpeakerBuilder,
): EpisodeRecord {
  // Segments point back at their episode, so the record exists first and is completed below.
  const episode = { __typename: 'Episode', id: episodeId(series.id, number), series, number } as Mutable<EpisodeRecord>;
  const segments = chunks.map((parsed, index) => buildSegment(parsed, episode, index, speaker));
  const turns = segments.flatMap((s) => s.turns);
  turns.forEach((turn, i) => ((turn as Mutable<TurnRecord>).episodeIndex = i));
  episode.segments = segments;
  episode.turns = turns;
  episode.speakers = distinctById(turns.map((t) => t.speaker));
  episode.start = segments[0]!.start;
  episode.end = segments.at(-1)!.end;
  episode.durationSeconds = roundSeconds(episode.end.seconds - episode.start.seconds);
  episode.topics = distinctFolded(segments.flatMap((s) => s.topics));
  episode.wordCount = segments.reduce((sum, s) => sum + s.wordCount, 0);
  return episode;
}

function buildSegment(
  parsed: ParsedSegment,
  episode: EpisodeRecord,
  index: number,
  speaker: (name: string) => SpeakerBuilder,
): SegmentRecord {
  const turnSpeakers = parsed.turns.map((t) => speaker(t.speaker));
  const start = parsed.start ?? earliest(parsed.turns.map((t) => t.start));
  const end = parsed.end ?? latest(parsed.turns.map((t) => t.end));
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
    start,
    end,
    durationSeconds: roundSeconds(end.seconds - start.seconds),
    speakers: distinctById(turnSpeakers),
    participants: distinctById(parsed.participants.map(speaker)),
    topics: parsed.topics,
    tags: parsed.tags,
    topicTags: parsed.topicTags,
    entities: parsed.entities,
    mentions: parsed.mentions,
    turns: [],
    wordCount: parsed.turns.reduce((sum, t) => sum + t.wordCount, 0),
  };
  segment.turns = parsed.turns.map((t, i): TurnRecord => ({
    __typename: 'Turn',
    id: turnId(segment.id, t.number),
    number: t.number,
    segment,
    speaker: turnSpeakers[i]!,
    start: t.start,
    end: t.end,
    durationSeconds: roundSeconds(t.end.seconds - t.start.seconds),
    text: t.text,
    wordCount: t.wordCount,
    episodeIndex: -1,
    position: -1,
  }));
  return segment;
}

// The parser guarantees at least one turn per accepted file, so these lists are never empty.
const earliest = (times: Timecode[]): Timecode => times.reduce((a, b) => (b.seconds < a.seconds ? b : a));
const latest = (times: Timecode[]): Timecode => times.reduce((a, b) => (b.seconds > a.seconds ? b : a));

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

/** Ids compare by code unit, so the order is the same on every machine and locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
