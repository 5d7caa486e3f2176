/**
 * Turns in columns, made into records on demand. A turn's fields live in its segment's `compact.cols` (an
 * Int32Array, STRIDE numbers per turn) and its text in the segment's Buffer; a `TurnRecord` is a view over one
 * position that reads them when asked (the text is decoded on first read). Positions run in archive order, so an
 * episode's or a segment's turns are a range of positions, and a speaker's a list of them.
 */
import { ASCII_FLAG, END, SPEAKER, START, STRIDE, TEXT_END, TEXT_START, WORDS } from '../parser/index.js';
import { timecodeOfFrames } from '../parser/index.js';
import { roundSeconds } from '../parser/index.js';
import type { SegmentRecord, SpeakerRecord, Timecode, TurnList, TurnRecord } from './types.js';

/** Where turns are: position -> segment, for making records. */
export interface TurnStore {
  readonly count: number;
  /** Segments in archive order. */
  readonly segments: readonly SegmentRecord[];
  /** Position -> index into `segments`. */
  readonly turnSegment: Int32Array;
}

/** The record of the turn at `position`. */
export function turnAt(store: TurnStore, position: number): TurnRecord {
  return new TurnView(store.segments[store.turnSegment[position]!]!, position);
}

/**
 * A turn record over the columns. Fields are getters: a record costs an object of three fields, and only what a
 * query reads is computed.
 */
class TurnView implements TurnRecord {
  readonly __typename = 'Turn' as const;
  /** Offset of this turn's columns in `segment.compact.cols`. */
  private readonly o: number;
  private decoded: string | undefined;

  constructor(
    readonly segment: SegmentRecord,
    readonly position: number,
  ) {
    this.o = (position - segment.firstTurn) * STRIDE;
  }

  get number(): number {
    return this.o / STRIDE + 1;
  }

  get id(): string {
    return `${this.segment.id}#${this.o / STRIDE + 1}`;
  }

  get speaker(): SpeakerRecord {
    return this.segment.turnSpeakers[this.segment.compact.cols[this.o + SPEAKER]! & ~ASCII_FLAG]!;
  }

  get start(): Timecode {
    return this.timecode(START);
  }

  get end(): Timecode {
    return this.timecode(END);
  }

  get durationSeconds(): number {
    return roundSeconds(this.end.seconds - this.start.seconds);
  }

  get text(): string {
    if (this.decoded === undefined) {
      const { cols, text } = this.segment.compact;
      const ascii = (cols[this.o + SPEAKER]! & ASCII_FLAG) !== 0;
      // Latin-1 for ASCII: the cheapest decode, and a one-byte string.
      this.decoded = text.toString(ascii ? 'latin1' : 'utf8', cols[this.o + TEXT_START], cols[this.o + TEXT_END]);
    }
    return this.decoded;
  }

  get wordCount(): number {
    return this.segment.compact.cols[this.o + WORDS]!;
  }

  get episodeIndex(): number {
    return this.position - this.segment.episode.firstTurn;
  }

  private timecode(column: typeof START | typeof END): Timecode {
    const { cols, timecodes } = this.segment.compact;
    const frames = cols[this.o + column]!;
    if (frames >= 0) return timecodeOfFrames(frames, this.segment.fps);
    const written = timecodes!.get(this.o / STRIDE)!;
    return column === START ? written.start : written.end;
  }
}

/** The turns at positions `[from, to)`. */
export class TurnRange implements TurnList {
  constructor(
    private readonly store: TurnStore,
    private readonly from: number,
    private readonly to: number,
  ) {}

  get length(): number {
    return this.to - this.from;
  }

  at(index: number): TurnRecord | undefined {
    const i = index < 0 ? this.length + index : index;
    return i >= 0 && i < this.length ? turnAt(this.store, this.from + i) : undefined;
  }

  slice(start = 0, end = this.length): TurnRecord[] {
    const [a, b] = bounds(this.length, start, end);
    const out: TurnRecord[] = [];
    for (let p = this.from + a; p < this.from + b; p++) out.push(turnAt(this.store, p));
    return out;
  }

  find(predicate: (turn: TurnRecord) => boolean): TurnRecord | undefined {
    for (const turn of this) if (predicate(turn)) return turn;
    return undefined;
  }

  *[Symbol.iterator](): Iterator<TurnRecord> {
    for (let p = this.from; p < this.to; p++) yield turnAt(this.store, p);
  }
}

/** The turns at the given positions (a speaker's). */
export class TurnPositions implements TurnList {
  constructor(
    private readonly store: TurnStore,
    private readonly positions: Int32Array,
  ) {}

  get length(): number {
    return this.positions.length;
  }

  at(index: number): TurnRecord | undefined {
    const i = index < 0 ? this.length + index : index;
    return i >= 0 && i < this.length ? turnAt(this.store, this.positions[i]!) : undefined;
  }

  slice(start = 0, end = this.length): TurnRecord[] {
    const [a, b] = bounds(this.length, start, end);
    const out: TurnRecord[] = [];
    for (let i = a; i < b; i++) out.push(turnAt(this.store, this.positions[i]!));
    return out;
  }

  find(predicate: (turn: TurnRecord) => boolean): TurnRecord | undefined {
    for (const turn of this) if (predicate(turn)) return turn;
    return undefined;
  }

  *[Symbol.iterator](): Iterator<TurnRecord> {
    for (let i = 0; i < this.positions.length; i++) yield turnAt(this.store, this.positions[i]!);
  }
}

/** Array.prototype.slice's reading of start and end (negative counts from the end). */
function bounds(length: number, start: number, end: number): [number, number] {
  const clamp = (v: number) => (v < 0 ? Math.max(length + v, 0) : Math.min(v, length));
  const a = clamp(start);
  return [a, Math.max(a, clamp(end))];
}
