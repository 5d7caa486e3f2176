/**
 * The term dictionary used while indexing: words to dense ids, looked up straight from the text they stand in.
 * Indexing meets every word of the archive (13 million in 64 MB of transcripts); cutting each one out as a string
 * to ask a Map costs an allocation (garbage, soon) and a hash per word.
 * Here a word is hashed and compared where it stands in its text, and a string is made only for a word never seen.
 */
export class TermTable {
  /** Open addressing: slot -> term id + 1 (0 is empty). */
  private slots = new Int32Array(1 << 16);
  private hashes = new Int32Array(1 << 15);
  readonly terms: string[] = [];

  /**
   * The id of `text.slice(start, end)`, adding it if new: a folded word as `forEachWord` hands it over (a slice of
   * lower-cased ASCII text, or a whole word of any script).
   *
   * @example
   * const table = new TermTable();
   * table.idOfSlice('say hello', 4, 9) // 0, and table.terms[0] === 'hello'
   */
  idOfSlice(text: string, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    const mask = this.slots.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) return this.add(text.slice(start, end), h, slot);
      const id = entry - 1;
      if (this.hashes[id] === h && sameSlice(this.terms[id]!, text, start, end)) return id;
    }
  }

  /** The dictionary for searching: word -> id. */
  toMap(): Map<string, number> {
    const map = new Map<string, number>();
    this.terms.forEach((term, id) => map.set(term, id));
    return map;
  }

  private add(term: string, hash: number, slot: number): number {
    const id = this.terms.length;
    this.terms.push(term);
    if (id === this.hashes.length) {
      const bigger = new Int32Array(this.hashes.length * 2);
      bigger.set(this.hashes);
      this.hashes = bigger;
    }
    this.hashes[id] = hash;
    this.slots[slot] = id + 1;
    // Keep the table at most half full, so probes stay short.
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

function sameSlice(term: string, text: string, start: number, end: number): boolean {
  if (term.length !== end - start) return false;
  for (let i = 0; i < term.length; i++) if (term.charCodeAt(i) !== text.charCodeAt(start + i)) return false;
  return true;
}
