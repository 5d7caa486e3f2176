/** Bytes to text: size limit, binary and UTF-8 checks, BOM and line endings. */
import { diagnostic, type Diagnostic } from './diagnostics.js';

/** Default size limit for one transcript file: 10 MiB. */
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export type TextResult = { ok: true; lines: string[] } | { ok: false; error: Diagnostic };

/**
 * Decodes a file's content into lines: refuses files over `maxBytes`, binary files (NUL bytes) and bytes
 * that are not UTF-8; drops a leading BOM; reads CRLF and LF alike.
 *
 * @example
 * toLines(new TextEncoder().encode('\uFEFFa\r\nb'), 'x.md', 1024) // { ok: true, lines: ['a', 'b'] }
 */
export function toLines(input: string | Uint8Array, file: string, maxBytes: number): TextResult {
  let text: string;
  if (typeof input === 'string') {
    const bytes = input.length * 3 > maxBytes ? new TextEncoder().encode(input).length : input.length;
    if (bytes > maxBytes) return { ok: false, error: diagnostic('FILE_TOO_LARGE', file, 1, bytes, maxBytes) };
    const nul = input.indexOf('\0');
    if (nul !== -1) return { ok: false, error: diagnostic('FILE_BINARY', file, lineAt(input, nul)) };
    text = input;
  } else {
    if (input.length > maxBytes)
      return { ok: false, error: diagnostic('FILE_TOO_LARGE', file, 1, input.length, maxBytes) };
    const nul = input.indexOf(0);
    if (nul !== -1) return { ok: false, error: diagnostic('FILE_BINARY', file, byteLineAt(input, nul)) };
    try {
      text = strictDecoder.decode(input);
    } catch {
      const offset = firstInvalidUtf8(input);
      return { ok: false, error: diagnostic('FILE_NOT_UTF8', file, byteLineAt(input, offset), offset) };
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { ok: true, lines: text.split(/\r?\n/) };
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function byteLineAt(bytes: Uint8Array, index: number): number {
  let line = 1;
  for (let i = bytes.indexOf(10); i !== -1 && i < index; i = bytes.indexOf(10, i + 1)) line++;
  return line;
}

/** Offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, no surrogates, max U+10FFFF). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

const WIDE = /[^\x00-\xff]/;

/**
 * A copy of `s` that shares no memory with the file it was cut from. V8 keeps a substring of 13 or more characters
 * as a view into its parent, so one turn's text would keep its whole file's text alive, twice over when a single
 * character anywhere in the file is beyond Latin-1 (the file is then decoded to two bytes per character, and so
 * is every view into it). Kept strings are copied once, at one byte per character when they can be.
 *
 * @example
 * detach(fileText.slice(100, 400)) // the same characters, independent of fileText
 */
export function detach(s: string): string {
  if (s.length < 13) return s;
  return WIDE.test(s) ? Buffer.from(s, 'utf16le').toString('utf16le') : Buffer.from(s, 'latin1').toString('latin1');
}
