/**
 * The body of a transcript: turns separated by blank lines. A turn is a timecode range line, one speaker
 * line, then one or more text lines. Markdown headings and HTML comments between turns are skipped.
 */
import { diagnostic, type Diagnostic } from './diagnostics.js';
import { slugify } from './slug.js';
import { detach } from './text.js';
import {
  looksLikeTimecodeLine,
  parseTimecode,
  splitTimecodeRange,
  TIMECODE_FORMS,
  type Timecode,
  type TimecodeResult,
} from './timecode.js';

/** One speaker turn as read from the file. */
export interface ParsedTurn {
  /** 1-based number within the file. */
  readonly number: number;
  /** 1-based line of the timecode line. */
  readonly line: number;
  readonly speaker: string;
  readonly start: Timecode;
  readonly end: Timecode;
  /** The text lines, trimmed and joined with single spaces. */
  readonly text: string;
  /** Count of whitespace-separated tokens in `text`. */
  readonly wordCount: number;
}

export interface TurnsResult {
  readonly turns: ParsedTurn[];
  readonly diagnostics: Diagnostic[];
}

const HEADING = /^#{1,6}(?:\s|$)/;

/**
 * Reads the turns of a body. Never throws: every problem becomes a diagnostic, and parsing goes on at the
 * next blank line so that one bad turn does not hide the others.
 *
 * @example
 * parseTurns(['00:00:01:00 - 00:00:02:00', 'Ana', 'Hello there.'], 0, 30, 'a.md').turns[0]
 * // { number: 1, line: 1, speaker: 'Ana', text: 'Hello there.', wordCount: 2, start: {...}, end: {...} }
 */
export function parseTurns(lines: readonly string[], firstIndex: number, fps: number, file: string): TurnsResult {
  const turns: ParsedTurn[] = [];
  const diagnostics: Diagnostic[] = [];
  let i = firstIndex;
  while (i < lines.length) {
    const line = lines[i]!.trim();
    if (line === '' || HEADING.test(line)) {
      i++;
      continue;
    }
    if (line.startsWith('<!--')) {
      const end = skipComment(lines, i);
      if (end === -1) {
        diagnostics.push(diagnostic('COMMENT_UNCLOSED', file, i + 1));
        break;
      }
      i = end + 1;
      continue;
    }
    const blockEnd = endOfBlock(lines, i);
    if (!looksLikeTimecodeLine(line)) {
      diagnostics.push(diagnostic('TEXT_OUTSIDE_TURN', file, i + 1, excerpt(line)));
    } else {
      const turn = readTurn(lines, i, blockEnd, fps, file, turns.length + 1, diagnostics);
      if (turn) turns.push(turn);
    }
    i = blockEnd;
  }
  return { turns, diagnostics };
}

function readTurn(
  lines: readonly string[],
  start: number,
  end: number,
  fps: number,
  file: string,
  number: number,
  diagnostics: Diagnostic[],
): ParsedTurn | null {
  const lineNo = start + 1;
  const range = readTimecodeRange(lines[start]!.trim(), fps, file, lineNo, diagnostics);
  const speaker = start + 1 < end ? lines[start + 1]!.trim().replace(/:$/, '').trim() : '';
  const text = lines
    .slice(start + 2, end)
    .map((l) => l.trim())
    .join(' ')
    .trim();
  if (speaker === '') {
    diagnostics.push(diagnostic('TURN_MISSING_SPEAKER', file, lineNo));
    return null;
  }
  if (text === '') {
    diagnostics.push(diagnostic('TURN_MISSING_TEXT', file, lineNo, speaker));
    return null;
  }
  if (slugify(speaker) === '') {
    diagnostics.push(diagnostic('SLUG_EMPTY', file, lineNo + 1, 'speaker', speaker));
    return null;
  }
  if (!range) return null;
  return {
    number,
    line: lineNo,
    speaker: detach(speaker),
    start: range.start,
    end: range.end,
    text: detach(text),
    wordCount: countWords(text),
  };
}

/**
 * Reads a `start - end` range, reporting malformed, out-of-range and reversed timecodes at `line`.
 * Shared by turns and the front matter's `timecode` key.
 */
export function readTimecodeRange(
  text: string,
  fps: number,
  file: string,
  line: number,
  diagnostics: Diagnostic[],
): { start: Timecode; end: Timecode } | null {
  const parts = splitTimecodeRange(text);
  if (!parts) {
    diagnostics.push(diagnostic('TIMECODE_MALFORMED', file, line, text, `"start - end" with ${TIMECODE_FORMS}`));
    return null;
  }
  const start = readTimecode(parts.start, fps, file, line, diagnostics);
  const end = readTimecode(parts.end, fps, file, line, diagnostics);
  if (!start || !end) return null;
  if (end.seconds < start.seconds) {
    diagnostics.push(diagnostic('TIMECODE_REVERSED', file, line, start.smpte, end.smpte));
    return null;
  }
  return { start, end };
}

/** Reads one timecode, reporting why it was refused at `line`. */
export function readTimecode(
  text: string,
  fps: number,
  file: string,
  line: number,
  diagnostics: Diagnostic[],
): Timecode | null {
  const result: TimecodeResult = parseTimecode(text, fps);
  if (result.ok) return result.value;
  if (result.kind === 'malformed') diagnostics.push(diagnostic('TIMECODE_MALFORMED', file, line, text, TIMECODE_FORMS));
  else if (result.kind === 'drop-frame-fps')
    diagnostics.push(diagnostic('TIMECODE_DROP_FRAME_FPS', file, line, text, fps));
  else diagnostics.push(diagnostic('TIMECODE_OUT_OF_RANGE', file, line, text, result.reason));
  return null;
}

/** Count of whitespace-separated tokens. */
export function countWords(text: string): number {
  // A character loop: splitting every turn on /\s+/ was a measurable share of ingest.
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space =
      c === 32 ||
      (c >= 9 && c <= 13) ||
      c === 0xa0 ||
      c === 0x1680 ||
      (c >= 0x2000 && c <= 0x200a) ||
      c === 0x2028 ||
      c === 0x2029 ||
      c === 0x202f ||
      c === 0x205f ||
      c === 0x3000 ||
      c === 0xfeff;
    if (space) inWord = false;
    else if (!inWord) {
      inWord = true;
      count++;
    }
  }
  return count;
}

function endOfBlock(lines: readonly string[], from: number): number {
  let i = from;
  while (i < lines.length && lines[i]!.trim() !== '') i++;
  return i;
}

/** Index of the line holding the `-->` that closes the comment opened at `from`, or -1. */
function skipComment(lines: readonly string[], from: number): number {
  const first = lines[from]!;
  if (first.indexOf('-->', first.indexOf('<!--') + 4) !== -1) return from;
  for (let i = from + 1; i < lines.length; i++) if (lines[i]!.includes('-->')) return i;
  return -1;
}

function excerpt(line: string): string {
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
