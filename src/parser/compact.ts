/**
 * Reading a file into the compact form (src/parser/columns.ts): the byte-level scanner for the common case, the
 * reference parser for everything else (and for every diagnostic).
 */
import {
  ASCII_FLAG,
  END,
  SPEAKER,
  START,
  STRIDE,
  TEXT_END,
  TEXT_START,
  WORDS,
  type CompactSegment,
} from './columns.js';
import type { Diagnostic } from './diagnostics.js';
import { parseTranscript, type ParsedSegment } from './transcript.js';
import { scanTranscript } from './scan.js';
import { isCanonicalTimecode, type Timecode } from './timecode.js';

/**
 * The compact form of a segment the reference parser read (files with diagnostics, or forms the byte-level
 * scanner leaves to it): texts are encoded into a Buffer of their own.
 *
 * @example
 * compactSegment(parseTranscript(text, 'a.md').segment).turns.count
 */
export function compactSegment(segment: ParsedSegment): CompactSegment {
  const { turns, ...header } = segment;
  const texts = turns.map((t) => Buffer.from(t.text, 'utf8'));
  const text = Buffer.allocUnsafeSlow(texts.reduce((n, b) => n + b.length, 0));
  const cols = new Int32Array(turns.length * STRIDE);
  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  let timecodes: Map<number, { start: Timecode; end: Timecode }> | null = null;
  let at = 0;
  turns.forEach((turn, i) => {
    const o = i * STRIDE;
    const start = framesOf(turn.start, segment.fps);
    const end = framesOf(turn.end, segment.fps);
    if (start === -1 || end === -1) {
      (timecodes ??= new Map()).set(i, { start: turn.start, end: turn.end });
      cols[o + START] = -1;
      cols[o + END] = -1;
    } else {
      cols[o + START] = start;
      cols[o + END] = end;
    }
    let name = nameIndex.get(turn.speaker);
    if (name === undefined) {
      name = names.length;
      names.push(turn.speaker);
      nameIndex.set(turn.speaker, name);
    }
    const bytes = texts[i]!;
    cols[o + SPEAKER] = name | (bytes.length === turn.text.length ? ASCII_FLAG : 0);
    cols[o + WORDS] = turn.wordCount;
    cols[o + TEXT_START] = at;
    bytes.copy(text, at);
    at += bytes.length;
    cols[o + TEXT_END] = at;
  });
  return { ...header, turns: { count: turns.length, cols, text, names, timecodes } };
}

/** The frame count of a timecode written `HH:MM:SS:FF`, or -1 for any other form. */
function framesOf(tc: Timecode, fps: number): number {
  if (!isCanonicalTimecode(tc.smpte)) return -1;
  const s = tc.smpte;
  const d = (i: number) => s.charCodeAt(i) - 48;
  const whole = (d(0) * 10 + d(1)) * 3600 + (d(3) * 10 + d(4)) * 60 + (d(6) * 10 + d(7));
  const frames = whole * fps + d(9) * 10 + d(10);
  // Only if it is exactly what the parser computed: the same integer divided by the same fps.
  return frames / fps === tc.seconds ? frames : -1;
}

/**
 * A timecode from a frame count: the canonical text and the seconds the parser computes for it.
 *
 * @example
 * timecodeOfFrames(39013, 30) // { smpte: '00:21:40:13', seconds: 1300.4333… }
 */
export function timecodeOfFrames(frames: number, fps: number): Timecode {
  const f = frames % fps;
  const whole = (frames - f) / fps;
  const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
  const smpte = `${pad(Math.floor(whole / 3600))}:${pad(Math.floor(whole / 60) % 60)}:${pad(whole % 60)}:${pad(f)}`;
  return { smpte, seconds: frames / fps };
}

export type CompactResult =
  | { readonly ok: true; readonly segment: CompactSegment; readonly warnings: readonly Diagnostic[] }
  | { readonly ok: false; readonly errors: readonly Diagnostic[]; readonly warnings: readonly Diagnostic[] };

/**
 * Parses one file's bytes into the compact form: by the scanner when it can (the bytes are then the segment's text
 * store, joined in place), else by the reference parser, whose diagnostics come back as they are.
 *
 * @example
 * const result = parseCompact(readFileSync('data/show/ep1.md'), 'show/ep1.md', { maxBytes: 10 * 2 ** 20 });
 */
export function parseCompact(bytes: Buffer, file: string, options: { readonly maxBytes: number }): CompactResult {
  const scanned = scanTranscript(bytes, file, options);
  if (scanned) return { ok: true, segment: scanned, warnings: [] };
  const result = parseTranscript(bytes, file, options);
  return result.ok ? { ok: true, segment: compactSegment(result.segment), warnings: result.warnings } : result;
}
