/**
 * The byte-level scanner: reads a well-formed transcript straight from its bytes, once, into the compact form
 * (src/parser/compact.ts), without cutting the file into line strings. Turn texts are joined in place (each line
 * trimmed, lines joined by one space), so the file's own Buffer becomes the store of its texts.
 *
 * It covers the common case only and says so: for anything it does not handle exactly as `parseTranscript` does
 * (any diagnostic at all, a timecode not written `HH:MM:SS:FF`, a lone CR, ...) it returns null *before changing
 * a byte*, and the caller runs the reference parser on the same bytes, which reports what is wrong. The front
 * matter goes through the reference's own code (`parseFrontMatter`, `readHeader`), so keys are read the same way.
 * A differential test holds the scanner to the reference on generated and hand-made files.
 *
 * Why by hand: a file costs one pass over its bytes and a handful of allocations, where the regex parser spent most
 * of ingest cutting and collecting strings (docs/architecture.md#the-compact-archive).
 */
import { isUtf8 } from 'node:buffer';

import { ASCII_FLAG, STRIDE, type CompactSegment } from './columns.js';
import type { Diagnostic } from './diagnostics.js';
import { parseFrontMatter, readFrontMatterFast } from './front-matter.js';
import { slugify } from './slug.js';
import { completeHeader, intern, readHeader } from './transcript.js';

const LF = 0x0a;
const CR = 0x0d;
const HASH = 0x23;
const COLON = 0x3a;

/**
 * Bytes of the whitespace character at `i` (JavaScript's `\s`, which `trim()` and word counting use), or 0.
 * ASCII 9-13 and space; NBSP; U+1680; U+2000-200A, U+2028, U+2029, U+202F; U+205F; U+3000; U+FEFF.
 */
export function spaceAt(b: Uint8Array, i: number, end: number): number {
  const c = b[i]!;
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return 1;
  if (c < 0xc2) return 0;
  if (c === 0xc2) return i + 1 < end && b[i + 1] === 0xa0 ? 2 : 0;
  if (i + 2 >= end) return 0;
  const d = b[i + 1]!;
  const e = b[i + 2]!;
  if (c === 0xe2) {
    if (d === 0x80) return (e >= 0x80 && e <= 0x8a) || e === 0xa8 || e === 0xa9 || e === 0xaf ? 3 : 0;
    return d === 0x81 && e === 0x9f ? 3 : 0;
  }
  if (c === 0xe1) return d === 0x9a && e === 0x80 ? 3 : 0;
  if (c === 0xe3) return d === 0x80 && e === 0x80 ? 3 : 0;
  if (c === 0xef) return d === 0xbb && e === 0xbf ? 3 : 0;
  return 0;
}

/** Bytes of the whitespace character that ends at `end` (after `start`), or 0. */
function spaceBefore(b: Uint8Array, start: number, end: number): number {
  const c = b[end - 1]!;
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return 1;
  if (c < 0x80) return 0;
  if (end - 2 >= start && b[end - 2] === 0xc2 && c === 0xa0) return 2;
  if (end - 3 >= start && spaceAt(b, end - 3, end) === 3) return 3;
  return 0;
}

/** Scratch columns, reused across files (sliced to size once a file is done). */
let scratch: Int32Array = new Int32Array(STRIDE * 256);
/** Per turn: first and last byte of its text region (the text lines, untrimmed ends), for the joining pass. */
let regions: Int32Array = new Int32Array(2 * 256);

/**
 * Scans one file's bytes. Returns the compact segment, or null when the reference parser must read the file (the
 * bytes are then untouched). On success the bytes are changed: each turn's text is joined in place.
 *
 * @example
 * const bytes = readFileSync('data/show/ep1.md');
 * const segment = scanTranscript(bytes, 'show/ep1.md') ?? compactSegment(parseTranscript(bytes, 'show/ep1.md')...);
 */
export function scanTranscript(
  bytes: Buffer,
  file: string,
  options: { readonly maxBytes: number },
): CompactSegment | null {
  const size = bytes.length;
  if (size > options.maxBytes || bytes.indexOf(0) !== -1 || !isUtf8(bytes)) return null;
  let at = size >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;

  // Front matter: `---` alone on the first line, up to the first `---` or `...` line.
  const lineEnd = (from: number): number => {
    const nl = bytes.indexOf(LF, from);
    return nl === -1 ? size : nl;
  };
  let end = lineEnd(at);
  if (!isFence(bytes, at, end, 0x2d)) return null;
  const yamlStart = end + 1;
  let close = -1;
  for (let line = yamlStart; line < size; line = end + 1) {
    end = lineEnd(line);
    if (isFence(bytes, line, end, 0x2d) || isFence(bytes, line, end, 0x2e)) {
      close = line;
      break;
    }
  }
  if (close === -1) return null;
  const yamlText = close > yamlStart ? bytes.toString('utf8', yamlStart, close) : '';
  const yamlLines = yamlText === '' ? [] : yamlText.split(/\r?\n/);
  if (yamlLines.length > 0) yamlLines.pop(); // the region ends with the last YAML line's newline
  if (yamlLines.some((l) => l.includes('\r'))) return null; // a lone CR: the reference splits lines differently
  const lines = ['---', ...yamlLines, bytes.toString('latin1', close, end).replace(/\r$/, '')];
  // The common shape without a YAML parser; anything else through the reference's own reading.
  let fm = readFrontMatterFast(lines, lines.length - 1);
  if (!fm) {
    const read = parseFrontMatter(lines, file);
    if (!read.ok) return null;
    fm = read.value;
  }
  const diagnostics: Diagnostic[] = [];
  const values = readHeader(fm, file, diagnostics);
  const header = diagnostics.length === 0 ? completeHeader(values) : null;
  if (!header) return null;
  const fps = header.fps;
  const listed = header.speakers.length > 0 ? new Set(header.speakers.map(slugify)) : null;
  const rangeStart = header.start?.seconds ?? null;
  const rangeEnd = header.end?.seconds ?? null;

  // A CR anywhere but before a LF would split lines differently from the reference: such files go to it.
  const crs = bytes.indexOf(CR, at) !== -1;
  // The body, line by line. A turn: a timecode line, a speaker line, text lines, ended by a blank line.
  const names: string[] = [];
  const nameBytes: [number, number][] = [];
  let count = 0;
  let previousStart = -1;
  let previousEnd = -1;
  at = end + 1;
  while (at < size) {
    end = lineEnd(at);
    trim(bytes, at, end);
    const s = trimmedStart;
    const e = trimmedEnd;
    if (s === e || isHeading(bytes, s, e)) {
      at = end + 1;
      continue;
    }
    if (bytes[s] === 0x3c && startsWith(bytes, s, e, '<!--')) {
      // As the reference: the comment ends on the line holding the first `-->` after its `<!--`.
      const closeAt = bytes.indexOf('-->', s + 4, 'latin1');
      if (closeAt === -1) return null; // unclosed: a diagnostic
      at = lineEnd(closeAt) + 1;
      continue;
    }
    // A block: up to the next blank line.
    const timecodeLineEnd = end;
    const startFrames = timecodeRange(bytes, s, e, fps);
    if (startFrames === null) return null;
    const [startF, endF] = startFrames;
    // The speaker line.
    if (end >= size) return null;
    const speakerLine = end + 1;
    const speakerEnd = lineEnd(speakerLine);
    trim(bytes, speakerLine, speakerEnd);
    if (trimmedStart === trimmedEnd) return null; // blank: the block ends without a speaker
    if (bytes[trimmedEnd - 1] === COLON) trim(bytes, trimmedStart, trimmedEnd - 1);
    const ns = trimmedStart;
    const ne = trimmedEnd;
    if (ns === ne) return null;
    // Text lines, up to a blank line or the end.
    const textStart = speakerEnd + 1;
    let textEnd = textStart;
    let words = 0;
    let inWord = false;
    let ascii = true;
    let line = textStart;
    while (line < size) {
      const stop = lineEnd(line);
      trim(bytes, line, stop);
      const ts = trimmedStart;
      const te = trimmedEnd;
      if (ts === te) break;
      if (crs && hasLoneCr(bytes, line, stop)) return null;
      // Words: runs of non-space characters; line breaks separate them like spaces.
      inWord = false;
      for (let i = ts; i < te;) {
        const c = bytes[i]!;
        let w: number;
        if (c < 0x80) w = c === 0x20 || (c >= 0x09 && c <= 0x0d) ? 1 : 0;
        else {
          ascii = false;
          w = spaceAt(bytes, i, te);
        }
        if (w > 0) {
          inWord = false;
          i += w;
        } else {
          if (!inWord) {
            inWord = true;
            words++;
          }
          i++;
        }
      }
      textEnd = stop;
      line = stop + 1;
    }
    if (textEnd === textStart) return null; // no text
    if (crs && (hasLoneCr(bytes, at, timecodeLineEnd) || hasLoneCr(bytes, speakerLine, speakerEnd))) return null;

    const name = internName(bytes, ns, ne, names, nameBytes);
    if (name === -1) return null; // a speaker whose id would be empty
    if (listed && !listed.has(slugify(names[name]!))) return null; // SPEAKER_NOT_LISTED
    if (count > 0 && (startF < previousStart || startF < previousEnd)) return null; // out of order, overlap
    if ((rangeStart !== null && startF / fps < rangeStart) || (rangeEnd !== null && endF / fps > rangeEnd)) return null;
    previousStart = startF;
    previousEnd = endF;

    if ((count + 1) * STRIDE > scratch.length) scratch = grow(scratch);
    if ((count + 1) * 2 > regions.length) regions = grow(regions);
    const o = count * STRIDE;
    scratch[o] = startF;
    scratch[o + 1] = endF;
    scratch[o + 2] = ascii ? name | ASCII_FLAG : name;
    scratch[o + 3] = words;
    regions[count * 2] = textStart;
    regions[count * 2 + 1] = textEnd;
    count++;
    at = line + 1;
  }
  if (count === 0) return null; // NO_TURNS

  // Everything checked: now join each turn's text in place (each line trimmed, one space between lines), one turn
  // after another from the first text on, so the texts end up contiguous (copied out in one piece).
  const cols = scratch.slice(0, count * STRIDE);
  let w = regions[0]!;
  for (let t = 0; t < count; t++) {
    const from = regions[t * 2]!;
    const to = regions[t * 2 + 1]!;
    const first = w;
    for (let line = from; line < to;) {
      const stop = Math.min(lineEnd(line), to);
      trim(bytes, line, stop);
      if (w > first) bytes[w++] = 0x20;
      if (w !== trimmedStart) bytes.copyWithin(w, trimmedStart, trimmedEnd);
      w += trimmedEnd - trimmedStart;
      line = stop + 1;
    }
    cols[t * STRIDE + 4] = first;
    cols[t * STRIDE + 5] = w;
  }
  return { ...header, turns: { count, cols, text: bytes, names, timecodes: null } };
}

function grow(a: Int32Array): Int32Array {
  const bigger = new Int32Array(a.length * 2);
  bigger.set(a);
  return bigger;
}

/** Where the last `trim` call's result starts and ends (module-level: no tuple per line). */
let trimmedStart = 0;
let trimmedEnd = 0;

/** The line `[start, end)` without leading and trailing whitespace, into trimmedStart/trimmedEnd. */
function trim(b: Uint8Array, start: number, end: number): void {
  let s = start;
  let e = end;
  while (s < e) {
    const c = b[s]!;
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) s++;
    else if (c < 0x80) break;
    else {
      const w = spaceAt(b, s, e);
      if (w === 0) break;
      s += w;
    }
  }
  while (e > s) {
    const c = b[e - 1]!;
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) e--;
    else if (c < 0x80) break;
    else {
      const w = spaceBefore(b, s, e);
      if (w === 0) break;
      e -= w;
    }
  }
  trimmedStart = s;
  trimmedEnd = e;
}

/** A CR before the line's last byte: the reference would keep it inside the line (it splits on CRLF and LF only). */
function hasLoneCr(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end - 1; i++) if (b[i] === CR) return true;
  return false;
}

/** `---` (or `...`) alone on a line, trailing whitespace allowed, as the reference's fences. */
function isFence(b: Uint8Array, start: number, end: number, c: number): boolean {
  if (end - start < 3 || b[start] !== c || b[start + 1] !== c || b[start + 2] !== c) return false;
  for (let i = start + 3; i < end; i++) {
    const x = b[i]!;
    if (!(x === 0x20 || (x >= 0x09 && x <= 0x0d))) return false;
  }
  return true;
}

/** `#` to `######`, then whitespace or the end (the reference's HEADING on the trimmed line). */
function isHeading(b: Uint8Array, s: number, e: number): boolean {
  let i = s;
  while (i < e && b[i] === HASH) i++;
  const hashes = i - s;
  return hashes >= 1 && hashes <= 6 && (i === e || spaceAt(b, i, e) > 0);
}

function startsWith(b: Uint8Array, s: number, e: number, text: string): boolean {
  if (e - s < text.length) return false;
  for (let k = 0; k < text.length; k++) if (b[s + k] !== text.charCodeAt(k)) return false;
  return true;
}

/** Two digits at `i`, or -1. */
function two(b: Uint8Array, i: number): number {
  const x = b[i]! - 48;
  const y = b[i + 1]! - 48;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
}

/** A canonical `HH:MM:SS:FF` at `i` as a frame count, or -1 (malformed, out of range, or another form). */
function timecodeAt(b: Uint8Array, i: number, fps: number): number {
  const h = two(b, i);
  const m = two(b, i + 3);
  const s = two(b, i + 6);
  const f = two(b, i + 9);
  if (h < 0 || m < 0 || s < 0 || f < 0 || b[i + 2] !== COLON || b[i + 5] !== COLON || b[i + 8] !== COLON) return -1;
  if (m >= 60 || s >= 60 || f >= fps) return -1;
  return (h * 3600 + m * 60 + s) * fps + f;
}

/**
 * A timecode line `HH:MM:SS:FF <sep> HH:MM:SS:FF` (sep: `-`, `–` or `-->`, with optional spaces or tabs) as frame
 * counts, or null for anything else (the reference then reads it, and reports what is wrong).
 */
function timecodeRange(b: Uint8Array, s: number, e: number, fps: number): [number, number] | null {
  if (e - s < 23) return null;
  const start = timecodeAt(b, s, fps);
  if (start < 0) return null;
  let i = s + 11;
  while (i < e && (b[i] === 0x20 || b[i] === 0x09)) i++;
  if (b[i] === 0x2d) i += b[i + 1] === 0x2d && b[i + 2] === 0x3e ? 3 : 1;
  else if (b[i] === 0xe2 && b[i + 1] === 0x80 && b[i + 2] === 0x93) i += 3;
  else return null;
  while (i < e && (b[i] === 0x20 || b[i] === 0x09)) i++;
  if (e - i !== 11) return null;
  const end = timecodeAt(b, i, fps);
  if (end < 0 || end < start) return null;
  return [start, end];
}

/**
 * The index of a speaker name in `names`, adding it (decoded once per file) when new; -1 when its id would be empty.
 * Names are compared as bytes, so a name that repeats on every turn is decoded once.
 */
function internName(b: Buffer, s: number, e: number, names: string[], seen: [number, number][]): number {
  outer: for (let k = 0; k < seen.length; k++) {
    const [ks, ke] = seen[k]!;
    if (ke - ks !== e - s) continue;
    for (let i = 0; i < e - s; i++) if (b[ks + i] !== b[s + i]) continue outer;
    return k;
  }
  const name = intern(b.toString('utf8', s, e));
  if (slugify(name) === '') return -1;
  names.push(name);
  seen.push([s, e]);
  return names.length - 1;
}
