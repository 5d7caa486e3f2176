/**
 * parseTranscript: one file's content in, a segment (with warnings) or its errors out. Pure: no fs, no
 * GraphQL, never throws on content. Every problem in the file is collected, not just the first.
 */
import { diagnostic, type Diagnostic } from './diagnostics.js';
import { parseFrontMatter, type FrontMatter } from './front-matter.js';
import { slugify } from './slug.js';
import { DEFAULT_MAX_BYTES, detach, toLines } from './text.js';
import { roundSeconds, type Timecode } from './timecode.js';
import { parseTurns, readTimecode, readTimecodeRange, type ParsedTurn } from './turns.js';

export type { ParsedTurn } from './turns.js';

const EMPTY: readonly string[] = Object.freeze([]);
const interned = new Map<string, string>();

/**
 * One copy of a string that many files repeat (topics, tags, names), detached from the text it was cut from.
 * Bounded: past 50,000 distinct strings the table starts over (strings already shared stay shared).
 *
 * @example
 * intern(a) === intern(b) // when a and b have the same characters
 */
export function intern(s: string): string {
  let found = interned.get(s);
  if (found === undefined) {
    if (interned.size >= 50_000) interned.clear();
    found = detach(s);
    interned.set(found, found);
  }
  return found;
}

/** The front matter's keyword lists, which the archive keeps as the file wrote them. */
export interface SegmentKeywords {
  readonly topics: readonly string[];
  readonly tags: readonly string[];
  readonly topicTags: readonly string[];
  readonly entities: readonly string[];
  readonly mentions: readonly string[];
}

/** One transcript file, parsed and validated: the unit the archive is built from. */
export interface ParsedSegment extends SegmentKeywords {
  /** Path relative to the data folder. */
  readonly file: string;
  /** The segment id: front matter `slug`, else the file's base name, through `slugify`. */
  readonly slug: string;
  readonly title: string;
  readonly series: string;
  readonly episode: number;
  readonly chunk: number;
  /** Front matter `segment`: a one-line description. */
  readonly description: string | null;
  readonly summary: string | null;
  readonly fps: number;
  readonly participants: readonly string[];
  readonly speakers: readonly string[];
  /** `start_time`, else the start of `timecode`, else null. */
  readonly start: Timecode | null;
  /** `end_time`, else the end of `timecode`, else null. */
  readonly end: Timecode | null;
  readonly turns: readonly ParsedTurn[];
  /** 1-based lines of the keys that identify the segment, for diagnostics raised across files. */
  readonly lines: { readonly slug: number; readonly chunk: number };
}

export type ParseResult =
  | { readonly ok: true; readonly segment: ParsedSegment; readonly warnings: readonly Diagnostic[] }
  | { readonly ok: false; readonly errors: readonly Diagnostic[]; readonly warnings: readonly Diagnostic[] };

export interface ParseOptions {
  /** Largest accepted file, in bytes. Default 10 MiB. */
  readonly maxBytes?: number;
}

const LIST_KEYS = {
  participants: 'participants',
  speakers: 'speakers',
  topics: 'topics',
  tags: 'tags',
  topic_tags: 'topicTags',
  entities: 'entities',
  mentions: 'mentions',
} as const;
const TEXT_KEYS = ['slug', 'title', 'segment', 'summary'] as const;
const KNOWN_KEYS = new Set<string>([
  'series',
  'episode',
  'chunk',
  'fps',
  'timecode',
  'start_time',
  'end_time',
  ...TEXT_KEYS,
  ...Object.keys(LIST_KEYS),
]);
export const DEFAULT_FPS = 30;
const MAX_FPS = 1000;

/**
 * Parses one transcript file.
 *
 * @param input the file's bytes (checked for size, NUL bytes and UTF-8) or its text
 * @param file the path relative to the data folder, used in diagnostics and as the default slug
 * @example
 * const result = parseTranscript(readFileSync('data/show/ep1.md'), 'show/ep1.md');
 * if (result.ok) console.log(result.segment.turns.length);
 * else for (const e of result.errors) console.error(formatDiagnostic(e));
 */
export function parseTranscript(input: string | Uint8Array, file: string, options: ParseOptions = {}): ParseResult {
  const text = toLines(input, file, options.maxBytes ?? DEFAULT_MAX_BYTES);
  if (!text.ok) return { ok: false, errors: [text.error], warnings: [] };
  const { lines } = text;
  const fm = parseFrontMatter(lines, file);
  if (!fm.ok) return { ok: false, errors: [fm.error], warnings: [] };

  const diagnostics: Diagnostic[] = [];
  const header = readHeader(fm.value, file, diagnostics);
  const fps = header.fps ?? DEFAULT_FPS;
  const body = parseTurns(lines, fm.value.bodyStart, fps, file);
  diagnostics.push(...body.diagnostics);
  const turns = body.turns;
  if (turns.length === 0 && !body.diagnostics.some((d) => d.severity === 'error')) {
    diagnostics.push(diagnostic('NO_TURNS', file, Math.min(fm.value.bodyStart + 1, lines.length)));
  }
  checkTurns(turns, header.speakers, header, file, diagnostics);

  const errors = diagnostics.filter((d) => d.severity === 'error');
  const warnings = diagnostics.filter((d) => d.severity === 'warning');
  const complete = completeHeader(header);
  if (errors.length > 0 || complete === null) return { ok: false, errors, warnings };
  return { ok: true, segment: { ...complete, turns }, warnings };
}

/** The front matter's values, each null where it is missing or unusable (a diagnostic then says why). */
export interface HeaderValues {
  readonly series: string | null;
  readonly episode: number | null;
  readonly chunk: number | null;
  readonly fps: number | null;
  readonly slug: string;
  readonly title: string | null;
  readonly description: string | null;
  readonly summary: string | null;
  readonly participants: readonly string[];
  readonly speakers: readonly string[];
  readonly keywords: SegmentKeywords;
  readonly start: Timecode | null;
  readonly end: Timecode | null;
  readonly lines: { readonly slug: number; readonly chunk: number };
}

/** A segment's header: everything of a ParsedSegment but its turns. */
export type SegmentHeader = Omit<ParsedSegment, 'turns'>;

/**
 * Reads the front matter's keys, pushing a diagnostic for each problem. Shared by `parseTranscript` and the
 * byte-level scanner (src/parser/scan.ts), so both report exactly the same things for the same front matter.
 */
export function readHeader(fm: FrontMatter, file: string, diagnostics: Diagnostic[]): HeaderValues & { file: string } {
  const keys = new KeyReader(fm, file, diagnostics);
  for (const key of Object.keys(fm.data)) {
    if (!KNOWN_KEYS.has(key)) diagnostics.push(diagnostic('UNKNOWN_KEY', file, keys.line(key), key));
  }
  const series = keys.requiredText('series');
  const episode = keys.requiredCount('episode');
  const chunk = keys.requiredCount('chunk');
  const fps = keys.fps();
  const texts = Object.fromEntries(TEXT_KEYS.map((k) => [k, keys.optionalText(k)])) as Record<
    (typeof TEXT_KEYS)[number],
    string | null
  >;
  const lists = Object.fromEntries(Object.entries(LIST_KEYS).map(([k, field]) => [field, keys.list(k)])) as Record<
    (typeof LIST_KEYS)[keyof typeof LIST_KEYS],
    string[]
  >;

  const baseName = file.replace(/^.*\//, '').replace(/\.[^.]*$/, '');
  const slugSource = texts.slug ?? baseName;
  const slug = slugify(slugSource);
  if (slug === '') diagnostics.push(diagnostic('SLUG_EMPTY', file, keys.line('slug'), 'slug', slugSource));
  if (series !== null && slugify(series) === '') {
    diagnostics.push(diagnostic('SLUG_EMPTY', file, keys.line('series'), 'series', series));
  }
  for (const name of lists.participants) {
    if (slugify(name) === '')
      diagnostics.push(diagnostic('SLUG_EMPTY', file, keys.line('participants'), 'participant', name));
  }
  const range = keys.timecodes(fps ?? DEFAULT_FPS);
  const { participants, speakers, topics, tags, topicTags, entities, mentions } = lists;
  return {
    file,
    series,
    episode,
    chunk,
    fps,
    slug,
    title: texts.title,
    description: texts.segment,
    summary: texts.summary,
    participants,
    speakers,
    keywords: { topics, tags, topicTags, entities, mentions },
    start: range.start,
    end: range.end,
    lines: { slug: keys.line('slug'), chunk: keys.line('chunk') },
  };
}

/**
 * The header of a file whose front matter was read without errors, with its strings copied so they do not keep
 * the file's text alive; null when a required value is missing.
 */
export function completeHeader(h: HeaderValues & { file: string }): SegmentHeader | null {
  if (h.series === null || h.episode === null || h.chunk === null || h.fps === null) return null;
  const keep = (s: string | null) => (s === null ? null : detach(s));
  // Keyword lists repeat across files (a series' topics, its speakers): one copy of each string, one empty list.
  const list = (items: readonly string[]) => (items.length === 0 ? EMPTY : items.map(intern));
  return {
    file: h.file,
    slug: detach(h.slug),
    title: detach(h.title ?? h.slug),
    series: intern(h.series),
    episode: h.episode,
    chunk: h.chunk,
    description: keep(h.description),
    summary: keep(h.summary),
    fps: h.fps,
    participants: list(h.participants),
    speakers: list(h.speakers),
    topics: list(h.keywords.topics),
    tags: list(h.keywords.tags),
    topicTags: list(h.keywords.topicTags),
    entities: list(h.keywords.entities),
    mentions: list(h.keywords.mentions),
    start: h.start,
    end: h.end,
    lines: h.lines,
  };
}

/** Warnings about turns that are readable but suspicious. */
function checkTurns(
  turns: readonly ParsedTurn[],
  listed: readonly string[],
  range: { readonly start: Timecode | null; readonly end: Timecode | null },
  file: string,
  diagnostics: Diagnostic[],
): void {
  const listedIds = new Set(listed.map(slugify));
  let previous: ParsedTurn | undefined;
  for (const turn of turns) {
    if (listed.length > 0 && !listedIds.has(slugify(turn.speaker))) {
      diagnostics.push(diagnostic('SPEAKER_NOT_LISTED', file, turn.line + 1, turn.speaker));
    }
    if (previous && turn.start.seconds < previous.start.seconds) {
      diagnostics.push(diagnostic('TURN_OUT_OF_ORDER', file, turn.line, turn.start.smpte, previous.start.smpte));
    } else if (previous && turn.start.seconds < previous.end.seconds) {
      diagnostics.push(diagnostic('TURN_OVERLAP', file, turn.line, turn.start.smpte, previous.end.smpte));
    }
    const before = range.start !== null && turn.start.seconds < range.start.seconds;
    const after = range.end !== null && turn.end.seconds > range.end.seconds;
    if (before || after) {
      const span = `${range.start?.smpte ?? '…'} - ${range.end?.smpte ?? '…'}`;
      diagnostics.push(
        diagnostic('TURN_OUTSIDE_RANGE', file, turn.line, `${turn.start.smpte} - ${turn.end.smpte}`, span),
      );
    }
    previous = turn;
  }
}

const describe = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'a list'
      : typeof value === 'object'
        ? 'a mapping'
        : `${typeof value} ${JSON.stringify(value)}`;

/** Reads and type-checks front-matter keys, reporting each problem at the key's line. */
class KeyReader {
  constructor(
    private readonly fm: FrontMatter,
    private readonly file: string,
    private readonly diagnostics: Diagnostic[],
  ) {}

  line(key: string): number {
    return this.fm.keyLines.get(key) ?? this.fm.openLine;
  }

  private value(key: string): unknown {
    return Object.hasOwn(this.fm.data, key) ? this.fm.data[key] : undefined;
  }

  private typeError(key: string, expected: string, got: unknown): null {
    this.diagnostics.push(diagnostic('KEY_TYPE', this.file, this.line(key), key, expected, describe(got)));
    return null;
  }

  requiredText(key: string): string | null {
    const v = this.value(key);
    if (v === undefined || v === null || v === '') {
      this.diagnostics.push(diagnostic('REQUIRED_KEY_MISSING', this.file, this.line(key), key));
      return null;
    }
    return this.scalarText(key, v);
  }

  optionalText(key: string): string | null {
    const v = this.value(key);
    if (v === undefined || v === null) return null;
    const text = this.scalarText(key, v);
    return text === '' ? null : text;
  }

  private scalarText(key: string, v: unknown): string | null {
    if (typeof v === 'string') return v.trim();
    // YAML reads `title: 1984` as a number; the author meant the text.
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return this.typeError(key, 'text', v);
  }

  requiredCount(key: string): number | null {
    const v = this.value(key);
    if (v === undefined || v === null) {
      this.diagnostics.push(diagnostic('REQUIRED_KEY_MISSING', this.file, this.line(key), key));
      return null;
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      return this.typeError(key, 'a whole number >= 0', v);
    return v;
  }

  fps(): number | null {
    const v = this.value('fps');
    if (v === undefined || v === null) return DEFAULT_FPS;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_FPS) {
      return this.typeError('fps', `a whole number from 1 to ${MAX_FPS}`, v);
    }
    return v;
  }

  list(key: string): string[] {
    const v = this.value(key);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) return this.typeError(key, 'a list of text', v) ?? [];
    const out: string[] = [];
    for (const item of v) {
      if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
        const text = String(item).trim();
        if (text !== '') out.push(text);
      } else if (item !== null) {
        this.typeError(key, 'a list of text', item);
        return [];
      }
    }
    return out;
  }

  /** `start_time`, `end_time` and `timecode`, read as written (YAML 1.1 would turn 10:00:02:00 into a number). */
  timecodes(fps: number): { start: Timecode | null; end: Timecode | null } {
    const read = (key: string): string | null => {
      const v = this.value(key);
      if (v === undefined || v === null) return null;
      if (typeof v === 'string') return v.trim();
      if (typeof v === 'number') return this.fm.rawValues.get(key) ?? String(v);
      return this.typeError(key, 'a timecode', v);
    };
    const d = this.diagnostics;
    const rangeText = read('timecode');
    const range = rangeText === null ? null : readTimecodeRange(rangeText, fps, this.file, this.line('timecode'), d);
    const startText = read('start_time');
    const endText = read('end_time');
    let start = startText === null ? null : readTimecode(startText, fps, this.file, this.line('start_time'), d);
    let end = endText === null ? null : readTimecode(endText, fps, this.file, this.line('end_time'), d);
    if (range && start && roundSeconds(range.start.seconds) !== roundSeconds(start.seconds)) {
      d.push(
        diagnostic(
          'TIMECODE_MISMATCH',
          this.file,
          this.line('start_time'),
          'start_time',
          range.start.smpte,
          start.smpte,
        ),
      );
    }
    if (range && end && roundSeconds(range.end.seconds) !== roundSeconds(end.seconds)) {
      d.push(diagnostic('TIMECODE_MISMATCH', this.file, this.line('end_time'), 'end_time', range.end.smpte, end.smpte));
    }
    start = startText === null ? (range?.start ?? null) : start;
    end = endText === null ? (range?.end ?? null) : end;
    if (start && end && end.seconds < start.seconds) {
      d.push(
        diagnostic(
          'TIMECODE_REVERSED',
          this.file,
          this.line(endText === null ? 'timecode' : 'end_time'),
          start.smpte,
          end.smpte,
        ),
      );
      return { start: null, end: null };
    }
    return { start, end };
  }
}
