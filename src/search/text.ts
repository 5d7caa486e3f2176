/**
 * Search words: a word is a maximal run of Unicode letters and digits after folding. Folding is NFKD with
 * combining marks dropped and lower case (`Prüfung` -> `prufung`), plus the identity rule's letters that NFKD
 * leaves alone (`ø`->`o`, `ß`->`ss`, `æ`->`ae`, ...), so `weiss` finds `Weiß` as it finds the speaker `soren-weiss`.
 */

import { SPECIAL_LETTERS } from '../parser/index.js';

// ς -> σ on top of the identity rule's letters: lower-casing a whole text makes a final sigma that lower-casing
// one letter would not.
const SPECIAL: Readonly<Record<string, string>> = { ...SPECIAL_LETTERS, ς: 'σ' };
const SPECIAL_RE = new RegExp(`[${Object.keys(SPECIAL).join('')}]`, 'g');
const ASCII = /^[\x00-\x7f]*$/;
const ASCII_WORD = /[a-z0-9]+/g;
const WORD = /[\p{L}\p{N}]+/gu;
const MARKS = /\p{M}+/gu;

/**
 * Folds text for matching.
 *
 * @example
 * fold('Prüfung bei Søren') // 'prufung bei soren'
 */
export function fold(text: string): string {
  const lower = text.toLowerCase();
  if (ASCII.test(lower)) return lower;
  // Lower case again after NFKD: compatibility forms such as 𝔸 decompose to capitals.
  return lower
    .replace(SPECIAL_RE, (c) => SPECIAL[c]!)
    .normalize('NFKD')
    .replace(MARKS, '')
    .toLowerCase();
}

/**
 * The folded words of a text, in order.
 *
 * @example
 * words("It's Prüfung-time!") // ['it', 's', 'prufung', 'time']
 */
export function words(text: string): string[] {
  const folded = fold(text);
  return folded.match(ASCII.test(folded) ? ASCII_WORD : WORD) ?? [];
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Calls `visit(source, start, end)` for each folded word of a text, in order: the word is
 * `source.slice(start, end)`, left uncut so the caller decides whether it needs a string at all. For ASCII text
 * (most transcripts) `source` is the lower-cased text and no regular expression runs; otherwise each word comes
 * as its own string.
 *
 * @example
 * forEachWord("It's 10:30", (s, a, b) => out.push(s.slice(a, b))) // out: ['it', 's', '10', '30']
 */
export function forEachWord(text: string, visit: (source: string, start: number, end: number) => void): void {
  if (NON_ASCII.test(text)) {
    for (const word of words(text)) visit(word, 0, word.length);
    return;
  }
  const lower = text.toLowerCase();
  let start = -1;
  for (let i = 0; i <= lower.length; i++) {
    const c = i < lower.length ? lower.charCodeAt(i) : 0;
    const wordChar = (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
    if (wordChar) {
      if (start === -1) start = i;
    } else if (start !== -1) {
      visit(lower, start, i);
      start = -1;
    }
  }
}

/** A word of a text with where it stands in the original (UTF-16 offsets, end exclusive). */
export interface WordAt {
  readonly word: string;
  readonly start: number;
  readonly end: number;
}

/**
 * The folded words of a text with their offsets in the original text, even where folding changes lengths
 * (`ß` -> `ss`, a decomposed `u` + combining diaeresis -> `u`).
 *
 * @example
 * wordsAt('Grüße, Bo') // [{ word: 'grusse', start: 0, end: 5 }, { word: 'bo', start: 7, end: 9 }]
 */
export function wordsAt(text: string): WordAt[] {
  const out: WordAt[] = [];
  if (ASCII.test(text)) {
    const lower = text.toLowerCase();
    for (const m of lower.matchAll(ASCII_WORD)) out.push({ word: m[0], start: m.index, end: m.index + m[0].length });
    return out;
  }
  // Fold code point by code point, remembering which original offset each folded character came from.
  let folded = '';
  const origin: number[] = [];
  const originEnd: number[] = [];
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const piece = fold(String.fromCodePoint(cp));
    for (let k = 0; k < piece.length; k++) {
      origin.push(i);
      originEnd.push(i + width);
    }
    folded += piece;
    i += width;
  }
  for (const m of folded.matchAll(WORD)) {
    const last = m.index + m[0].length - 1;
    out.push({ word: m[0], start: origin[m.index]!, end: originEnd[last]! });
  }
  // A combining mark that follows a word in the original belongs to its last letter.
  return out.map((w) => {
    let end = w.end;
    while (end < text.length && /\p{M}/u.test(text[end]!)) end++;
    return end === w.end ? w : { ...w, end };
  });
}
