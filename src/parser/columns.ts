/**
 * A parsed segment in the compact form the archive keeps: the header as objects (one per file), the turns as one
 * Int32Array of columns, their texts as UTF-8 ranges of one Buffer, speaker names by index. 24 bytes per turn
 * beyond its text, where a turn object with its strings and timecode objects took several hundred.
 */
import type { SegmentHeader } from './transcript.js';
import type { Timecode } from './timecode.js';

/** Columns per turn in `CompactTurns.cols`. */
export const STRIDE = 6;
/** Column offsets. */
export const START = 0;
export const END = 1;
/** Index into `names`; bit 30 set when the text is plain ASCII (decoded as Latin-1, the cheapest). */
export const SPEAKER = 2;
export const WORDS = 3;
export const TEXT_START = 4;
export const TEXT_END = 5;
export const ASCII_FLAG = 1 << 30;

export interface CompactTurns {
  readonly count: number;
  /**
   * STRIDE columns per turn: start and end (frames at the segment's fps, when the timecode was written in the
   * canonical `HH:MM:SS:FF` form, else -1 and the timecode is in `timecodes`), speaker, word count, text range.
   */
  readonly cols: Int32Array;
  /** The bytes the text ranges point into. */
  readonly text: Buffer;
  /** Speaker names as written, first spelling in the file; `cols` points into this. */
  readonly names: readonly string[];
  /** Timecodes not written in canonical form, by turn index. */
  readonly timecodes: ReadonlyMap<number, { readonly start: Timecode; readonly end: Timecode }> | null;
}

export interface CompactSegment extends SegmentHeader {
  readonly turns: CompactTurns;
}
