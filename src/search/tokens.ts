/**
 * Search words read straight from UTF-8 bytes, and the dictionary that numbers them. The words are exactly those
 * of `words()` (src/search/text.ts): runs of letters and digits after folding. ASCII runs, most of any transcript,
 * are hashed and looked up where they stand in the bytes, lower-cased on the fly, with no string made; a run that
 * holds other bytes is decoded and folded (through a small cache: such words repeat). Folding never turns an ASCII
 * separator into a letter, nor a non-ASCII character into an ASCII separator next to one, so cutting the text at
 * ASCII separators first gives the same words as folding the whole text (a differential test holds this).
 */
import { words } from './text.js';

/** Bounded: a hostile archive can hold any number of distinct non-ASCII words. */
const FOLD_CACHE_LIMIT = 65_536;

/** ASCII letters and digits, by byte. */
const ALNUM = new Uint8Array(128);
for (let c = 0; c < 128; c++)
  ALNUM[c] = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) ? 1 : 0;

/**
 * Folded words to dense ids. Built while indexing; read-only afterwards (look-ups with `insert: false` never add).
 */
export class TermDictionary {
  /** Open addressing: slot -> term id + 1 (0 is empty). */
  private slots = new Int32Array(1 << 16);
  private hashes = new Int32Array(1 << 15);
  /** Each term's characters as bytes, at offsets[id], lengths[id] long. */
  private bytes = new Uint8Array(1 << 16);
  private used = 0;
  private offsets = new Int32Array(1 << 15);
  private lengths = new Int32Array(1 << 15);
  readonly terms: string[] = [];
  private readonly folded = new Map<string, readonly string[]>();

  get size(): number {
    return this.terms.length;
  }

  /**
   * Calls `visit(termId)` for each word of `bytes[start, end)`, in order; with `insert: false`, unknown words come
   * as -1. `ascii` says the range holds no byte over 0x7f (the caller knows it from the scanner).
   *
   * @example
   * dict.forEachTerm(Buffer.from("It's 10:30"), 0, 10, true, true, (t) => ids.push(t)) // it, s, 10, 30
   */
  forEachTerm(
    bytes: Uint8Array,
    start: number,
    end: number,
    ascii: boolean,
    insert: boolean,
    visit: (term: number) => void,
  ): void {
    const n = this.termsInto(bytes, start, end, ascii, insert);
    const ids = this.ids;
    for (let i = 0; i < n; i++) visit(ids[i]!);
  }

  /** Term ids written by the last `termsInto`. */
  ids = new Int32Array(1024);

  /**
   * Writes the term ids of `bytes[start, end)` into `this.ids` and returns how many there are (the indexing hot
   * loop: an ASCII word is hashed, lower-cased, as its run is scanned, and compared to the dictionary's bytes).
   */
  termsInto(bytes: Uint8Array, start: number, end: number, ascii: boolean, insert: boolean): number {
    let n = 0;
    let i = start;
    while (i < end) {
      let c = bytes[i]!;
      // ASCII separators: anything below 0x80 that is not a letter or a digit.
      if (c < 0x80 && !ALNUM[c]) {
        i++;
        continue;
      }
      const from = i;
      let plain = true;
      let h = 0x811c9dc5;
      while (i < end) {
        c = bytes[i]!;
        if (c < 0x80) {
          if (!ALNUM[c]) break;
          h = Math.imul(h ^ (c | 0x20), 0x01000193);
        } else plain = false;
        i++;
      }
      if (n + 64 > this.ids.length) {
        const bigger = new Int32Array(this.ids.length * 2);
        bigger.set(this.ids);
        this.ids = bigger;
      }
      if (plain || ascii) this.ids[n++] = this.idOfAscii(bytes, from, i, h, insert);
      else {
        for (const word of this.fold(bytes, from, i)) {
          if (n === this.ids.length) {
            const bigger = new Int32Array(this.ids.length * 2);
            bigger.set(this.ids);
            this.ids = bigger;
          }
          this.ids[n++] = this.idOfString(word, insert);
        }
      }
    }
    return n;
  }

  /** The id of a folded word, or undefined (for queries). */
  get(word: string): number | undefined {
    const id = this.idOfString(word, false);
    return id === -1 ? undefined : id;
  }

  private fold(bytes: Uint8Array, from: number, to: number): readonly string[] {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('utf8');
    let found = this.folded.get(text);
    if (found === undefined) {
      if (this.folded.size >= FOLD_CACHE_LIMIT) this.folded.clear();
      found = words(text);
      this.folded.set(text, found);
    }
    return found;
  }

  /** An ASCII letter-and-digit run (its lower-cased hash already taken), compared to the dictionary's bytes. */
  private idOfAscii(bytes: Uint8Array, start: number, end: number, h: number, insert: boolean): number {
    const mask = this.slots.length - 1;
    const length = end - start;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) {
        if (!insert) return -1;
        let term = '';
        for (let i = start; i < end; i++) term += String.fromCharCode(bytes[i]! | 0x20);
        return this.add(term, h, slot);
      }
      const id = entry - 1;
      if (this.hashes[id] !== h || this.lengths[id] !== length) continue;
      const at = this.offsets[id]!;
      let same = true;
      for (let k = 0; k < length; k++) {
        if (this.bytes[at + k] !== (bytes[start + k]! | 0x20)) {
          same = false;
          break;
        }
      }
      if (same) return id;
    }
  }

  private idOfString(word: string, insert: boolean): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
    const mask = this.slots.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) return insert ? this.add(word, h, slot) : -1;
      const id = entry - 1;
      if (this.hashes[id] === h && this.terms[id] === word) return id;
    }
  }

  private add(term: string, hash: number, slot: number): number {
    const id = this.terms.length;
    this.terms.push(term);
    if (id === this.hashes.length) {
      const grow = <T extends Int32Array>(a: T): T => {
        const bigger = new (a.constructor as new (n: number) => T)(a.length * 2);
        bigger.set(a);
        return bigger;
      };
      this.hashes = grow(this.hashes);
      this.offsets = grow(this.offsets);
      this.lengths = grow(this.lengths);
    }
    this.hashes[id] = hash;
    // Every term's characters as bytes (Latin-1 truncation for others, which are never compared as bytes: only
    // ASCII runs are), so ASCII look-ups compare bytes with bytes.
    if (this.used + term.length > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.used + term.length));
      bigger.set(this.bytes);
      this.bytes = bigger;
    }
    this.offsets[id] = this.used;
    this.lengths[id] = term.length;
    for (let k = 0; k < term.length; k++) this.bytes[this.used++] = term.charCodeAt(k);
    this.slots[slot] = id + 1;
    // At most half full, so probes stay short.
    if (this.terms.length * 2 > this.slots.length) this.grow();
    return id;
  }

  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.terms.length; id++) {
      let slot = this.hashes[id]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.slots = slots;
  }
}
