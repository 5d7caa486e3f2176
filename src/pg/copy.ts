/**
 * Values written for PostgreSQL's COPY text format (one row a line, tab between columns, `\N` for null, backslash
 * escapes), and the tsvector of a turn's words. Pure: strings in, strings out.
 */

/** `\N`: a null column. */
export const NULL = '\\N';

const SPECIAL = /[\\\n\r\t]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A text column: backslash, newline, carriage return and tab escaped (all COPY reads specially in a column).
 *
 * @example
 * copyText('a\tb\\c') // 'a\\tb\\\\c'
 */
export function copyText(value: string): string {
  return value.replace(SPECIAL, (c) => ESCAPES[c]!);
}

/**
 * A text[] column: an array literal with every element quoted (`"` and `\` escaped inside), then escaped as a
 * column.
 *
 * @example
 * copyArray(['a', 'b"c']) // '{"a","b\\\\"c"}'
 */
export function copyArray(values: readonly string[]): string {
  let literal = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) literal += ',';
    literal += `"${values[i]!.replace(/["\\]/g, '\\$&')}"`;
  }
  return copyText(literal + '}');
}

/**
 * A number column (double precision or integer): the shortest text that reads back as the same double.
 */
export function copyNumber(value: number): string {
  return String(value);
}

/** Positions past this one are stored as it (PostgreSQL's limit). */
export const MAX_POSITION = 16383;
/** PostgreSQL keeps at most this many positions of one word in one tsvector (it drops the rest). */
export const MAX_POSITIONS = 256;
/** The longest word a tsvector holds, in UTF-8 bytes (longer ones are refused: they are left out). */
export const MAX_WORD_BYTES = 2046;
/** A tsvector's words together may not pass 1 MiB; words past this budget are left out. */
export const MAX_WORDS_BYTES = 1_000_000;

/**
 * A turn's tsvector literal from its words (`terms[ids[i]]` is the i-th word), with 1-based positions: what
 * PostgreSQL stores for it, made within its limits (positions capped at 16383 and at 256 per word; words over 2046
 * bytes, and words past 1 MB of them in all, left out; none of which a transcript turn comes near). Also the ids
 * of the words it holds, each once (for the document frequencies, which must agree with the tsvectors).
 *
 * @example
 * turnTokens(['it', 's'], Int32Array.of(0, 1, 0), 3) // { literal: "'it':1,3 's':2", kept: [0, 1] }
 */
export function turnTokens(
  terms: readonly string[],
  ids: Int32Array,
  count: number,
): { readonly literal: string; readonly kept: readonly number[] } {
  const positions = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    const id = ids[i]!;
    const position = Math.min(i + 1, MAX_POSITION);
    const list = positions.get(id);
    if (list === undefined) positions.set(id, [position]);
    else if (list.length < MAX_POSITIONS && list.at(-1) !== position) list.push(position);
  }
  let literal = '';
  let bytes = 0;
  const kept: number[] = [];
  for (const [id, list] of positions) {
    const term = terms[id]!;
    const length = Buffer.byteLength(term, 'utf8');
    if (length > MAX_WORD_BYTES || bytes + length > MAX_WORDS_BYTES) continue;
    bytes += length;
    kept.push(id);
    if (literal !== '') literal += ' ';
    literal += `'${term.replace(/[\\']/g, (c) => (c === "'" ? "''" : '\\\\'))}':${list.join(',')}`;
  }
  return { literal, kept };
}
