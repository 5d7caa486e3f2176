/**
 * Where turn texts live: chunks of memory filled one file after another. A file is read into one reused scratch
 * Buffer, scanned there (texts joined in place), and only its turns' texts are copied here; front matter, timecode
 * and speaker lines never reach the archive's memory, and no fresh Buffer is touched per file (first touches of
 * fresh memory are what reading costs most on these machines).
 */
import { STRIDE, TEXT_END, TEXT_START, type CompactSegment } from '../parser/index.js';

/** Chunk size: big enough that the unused tail of each is noise, small enough to free with the files in it. */
const CHUNK_BYTES = 1 << 20;

export class TextArena {
  private chunk: Buffer | null = null;
  private used = 0;
  /** Bytes of chunks allocated. */
  allocated = 0;

  /**
   * The segment with its texts moved into the arena (its columns are rewritten to point there): all of one segment's
   * texts in one Buffer.
   *
   * @example
   * const kept = arena.adopt(parseCompact(scratch.subarray(0, size), file, { maxBytes }).segment);
   */
  adopt(segment: CompactSegment): CompactSegment {
    const { cols, text, count } = segment.turns;
    let total = 0;
    for (let o = 0; o < count * STRIDE; o += STRIDE) total += cols[o + TEXT_END]! - cols[o + TEXT_START]!;
    let target: Buffer;
    let at: number;
    if (total > CHUNK_BYTES / 4) {
      // A large file gets a Buffer of its own rather than most of a chunk.
      target = Buffer.allocUnsafeSlow(total);
      this.allocated += total;
      at = 0;
    } else {
      if (this.chunk === null || this.used + total > this.chunk.length) {
        this.chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
        this.allocated += CHUNK_BYTES;
        this.used = 0;
      }
      target = this.chunk;
      at = this.used;
      this.used += total;
    }
    // Texts are contiguous, in order (the scanner and compactSegment write them so): one copy, then rebase.
    const from = count > 0 ? cols[TEXT_START]! : 0;
    if (count > 0 && cols[(count - 1) * STRIDE + TEXT_END]! - from === total) {
      text.copy(target, at, from, from + total);
      const shift = at - from;
      for (let o = 0; o < count * STRIDE; o += STRIDE) {
        cols[o + TEXT_START]! += shift;
        cols[o + TEXT_END]! += shift;
      }
    } else {
      for (let o = 0; o < count * STRIDE; o += STRIDE) {
        const start = cols[o + TEXT_START]!;
        const end = cols[o + TEXT_END]!;
        text.copy(target, at, start, end);
        cols[o + TEXT_START] = at;
        at += end - start;
        cols[o + TEXT_END] = at;
      }
    }
    return { ...segment, turns: { ...segment.turns, text: target } };
  }
}
