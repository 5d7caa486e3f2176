/**
 * Rows for PostgreSQL's COPY: the text format (one row a line, tab between columns, `\N` for null, backslash
 * escapes) for the few segments, the binary format for the many turns (their texts go in as the bytes they are,
 * and their tsvectors in the form the server keeps, which it need not parse).
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
/** PostgreSQL keeps at most this many positions of one word in one tsvector. */
export const MAX_POSITIONS = 256;
/** The longest word a tsvector holds, in UTF-8 bytes (longer ones are left out). */
export const MAX_WORD_BYTES = 2046;
/** A tsvector's words together may not pass 1 MiB; words past this budget are left out. */
export const MAX_WORDS_BYTES = 1_000_000;

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * Rows in COPY's binary format (`COPY ... FROM STDIN (FORMAT binary)`), written into chunks of about `chunkBytes`:
 * per row, the number of columns, then each as its length and its bytes in the type's binary form (big-endian).
 *
 * @example
 * const w = new BinaryRows(); w.row(2); w.int4(1); w.text('a'); w.end(); const bytes = Buffer.concat(w.take(true));
 */
export class BinaryRows {
  private buffer: Buffer;
  private at = 0;
  private readonly full: Buffer[] = [];

  constructor(private readonly chunkBytes = 256 * 1024) {
    this.buffer = Buffer.allocUnsafe(chunkBytes);
    this.room(SIGNATURE.length + 8);
    SIGNATURE.copy(this.buffer, 0);
    this.at = SIGNATURE.length;
    this.buffer.writeInt32BE(0, this.at); // flags
    this.buffer.writeInt32BE(0, this.at + 4); // header extension length
    this.at += 8;
  }

  /** Starts a row of `columns` columns. */
  row(columns: number): void {
    this.room(2);
    this.buffer.writeInt16BE(columns, this.at);
    this.at += 2;
  }

  int4(value: number): void {
    this.room(8);
    this.buffer.writeInt32BE(4, this.at);
    this.buffer.writeInt32BE(value, this.at + 4);
    this.at += 8;
  }

  float8(value: number): void {
    this.room(12);
    this.buffer.writeInt32BE(8, this.at);
    this.buffer.writeDoubleBE(value, this.at + 4);
    this.at += 12;
  }

  /** A text column from a string. */
  text(value: string): void {
    this.room(4 + value.length * 3);
    const length = this.buffer.write(value, this.at + 4, 'utf8');
    this.buffer.writeInt32BE(length, this.at);
    this.at += 4 + length;
  }

  /** A text column from UTF-8 bytes. */
  bytes(source: Uint8Array, start: number, end: number): void {
    this.room(4 + end - start);
    this.buffer.writeInt32BE(end - start, this.at);
    this.buffer.set(source.subarray(start, end), this.at + 4);
    this.at += 4 + end - start;
  }

  /** A column already in binary form (its bytes, without the length). */
  raw(length: number, write: (buffer: Buffer, at: number) => void): void {
    this.room(4 + length);
    this.buffer.writeInt32BE(length, this.at);
    write(this.buffer, this.at + 4);
    this.at += 4 + length;
  }

  /** Ends the data (the trailer); `take(true)` then returns the rest. */
  end(): void {
    this.room(2);
    this.buffer.writeInt16BE(-1, this.at);
    this.at += 2;
  }

  /** The chunks filled so far (with `all`, the partial one too). */
  take(all = false): Buffer[] {
    if (all && this.at > 0) {
      this.full.push(this.buffer.subarray(0, this.at));
      this.buffer = Buffer.allocUnsafe(this.chunkBytes);
      this.at = 0;
    }
    return this.full.splice(0);
  }

  /** Makes room for `bytes` more: a full chunk is set aside, a value bigger than a chunk gets a buffer its size. */
  private room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    if (this.at > 0) this.full.push(this.buffer.subarray(0, this.at));
    this.buffer = Buffer.allocUnsafe(Math.max(this.chunkBytes, bytes));
    this.at = 0;
  }
}

/**
 * Turns' tsvectors from their words, with 1-based positions, in the binary form (tsvector_recv's): the number of
 * words, then each word's UTF-8 bytes and a 0, its number of positions, the positions (16 bits each, weight 0). Made
 * within PostgreSQL's limits, which its binary input enforces by refusing the row: positions capped at 16383 and at
 * 256 per word; words over 2046 bytes, and words past 1 MB of them in one turn, left out (none of which a
 * transcript turn comes near). One per sync: it keeps each word's bytes (by TermDictionary id) and reuses its arrays
 * from turn to turn (200k turns: a hot loop).
 */
export class TsvectorWriter {
  /** Term id -> the number of the last turn it was seen in, and its slot there. */
  private seenIn = new Int32Array(1 << 15);
  private slotOf = new Int32Array(1 << 15);
  /** Term id -> its UTF-8 bytes (null: too long for a tsvector). */
  private readonly lexemes: (Buffer | null)[] = [];
  private turn = 0;
  // Per slot (a distinct word of the current turn, in order of first occurrence): word, positions kept, last one.
  private slotTerm = new Int32Array(1024);
  private slotCount = new Int32Array(1024);
  private slotLast = new Int32Array(1024);
  private slotStart = new Int32Array(1025);
  private positions = new Uint16Array(1024);
  private slots = 0;
  private size = 0;
  /** Ids of the words the last tsvector holds, each once (for the document frequencies, which must agree). */
  readonly kept: number[] = [];

  /**
   * Reads one turn whose i-th word is `terms[ids[i]]`; returns the byte length of its tsvector, which `write` then
   * writes, and lists its words in `kept`.
   *
   * @example
   * const n = w.measure(['it', 's'], Int32Array.of(0, 1, 0), 3); rows.raw(n, (b, at) => w.write(b, at));
   * // the tsvector 'it':1,3 's':2
   */
  measure(terms: readonly string[], ids: Int32Array, count: number): number {
    if (terms.length > this.seenIn.length) {
      const size = Math.max(terms.length, this.seenIn.length * 2);
      const seenIn = new Int32Array(size);
      seenIn.set(this.seenIn);
      this.seenIn = seenIn;
      this.slotOf = new Int32Array(size);
    }
    if (count > this.slotTerm.length) {
      const size = count * 2;
      this.slotTerm = new Int32Array(size);
      this.slotCount = new Int32Array(size);
      this.slotLast = new Int32Array(size);
      this.slotStart = new Int32Array(size + 1);
      this.positions = new Uint16Array(size);
    }
    const turn = ++this.turn;
    let slots = 0;
    // First pass: the distinct words, and how many positions each keeps.
    for (let i = 0; i < count; i++) {
      const id = ids[i]!;
      const position = i < MAX_POSITION ? i + 1 : MAX_POSITION;
      if (this.seenIn[id] !== turn) {
        this.seenIn[id] = turn;
        this.slotOf[id] = slots;
        this.slotTerm[slots] = id;
        this.slotCount[slots] = 1;
        this.slotLast[slots] = position;
        slots++;
      } else {
        const slot = this.slotOf[id]!;
        if (this.slotCount[slot]! < MAX_POSITIONS && this.slotLast[slot] !== position) {
          this.slotCount[slot]!++;
          this.slotLast[slot] = position;
        }
      }
    }
    // Which words are kept, and where each one's positions go.
    let size = 4;
    let words = 0;
    let at = 0;
    this.kept.length = 0;
    for (let slot = 0; slot < slots; slot++) {
      const id = this.slotTerm[slot]!;
      let lexeme = this.lexemes[id];
      if (lexeme === undefined) {
        const bytes = Buffer.from(terms[id]!, 'utf8');
        lexeme = this.lexemes[id] = bytes.length > MAX_WORD_BYTES ? null : bytes;
      }
      this.slotStart[slot] = at;
      if (lexeme === null || words + lexeme.length > MAX_WORDS_BYTES) {
        this.slotCount[slot] = 0;
        continue;
      }
      words += lexeme.length;
      this.kept.push(id);
      size += lexeme.length + 1 + 2 + 2 * this.slotCount[slot]!;
      at += this.slotCount[slot]!;
      this.slotLast[slot] = 0;
    }
    // Second pass: the positions, in order within each word.
    for (let i = 0; i < count; i++) {
      const slot = this.slotOf[ids[i]!]!;
      const kept = this.slotCount[slot]!;
      if (kept === 0) continue;
      const position = i < MAX_POSITION ? i + 1 : MAX_POSITION;
      const filled = this.slotLast[slot]!;
      if (filled === kept) continue;
      const start = this.slotStart[slot]!;
      if (filled > 0 && this.positions[start + filled - 1] === position) continue;
      this.positions[start + filled] = position;
      this.slotLast[slot] = filled + 1;
    }
    this.slots = slots;
    this.size = size;
    return size;
  }

  /** Writes the measured tsvector at `buffer[at]` (`measure` bytes). */
  write(buffer: Buffer, at: number): void {
    buffer.writeInt32BE(this.kept.length, at);
    let o = at + 4;
    // Byte by byte: most words are a few bytes, where a call to copy() or writeUInt16BE() costs more than the bytes.
    for (let slot = 0; slot < this.slots; slot++) {
      const n = this.slotCount[slot]!;
      if (n === 0) continue;
      const lexeme = this.lexemes[this.slotTerm[slot]!]!;
      for (let k = 0; k < lexeme.length; k++) buffer[o++] = lexeme[k]!;
      buffer[o++] = 0;
      buffer[o++] = n >>> 8;
      buffer[o++] = n & 0xff;
      const start = this.slotStart[slot]!;
      for (let k = 0; k < n; k++) {
        const position = this.positions[start + k]!;
        buffer[o++] = position >>> 8;
        buffer[o++] = position & 0xff;
      }
    }
    if (o !== at + this.size) throw new Error(`internal: tsvector of ${this.size} bytes wrote ${o - at}`);
  }
}
