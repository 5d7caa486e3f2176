/**
 * The byte-level scanner, the fast front-matter reader and the byte tokenizer against their references: whenever
 * a fast path answers, its answer is the reference's; and on well-formed files it does answer.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateCorpus } from '../../bench/generate-corpus.js';
import { listTranscriptFiles } from '../../src/archive/index.js';
import { compactSegment, STRIDE, TEXT_END, TEXT_START, type CompactSegment } from '../../src/parser/index.js';
import { parseFrontMatter, readFrontMatterFast } from '../../src/parser/front-matter.js';
import { parseTranscript } from '../../src/parser/index.js';
import { scanTranscript } from '../../src/parser/scan.js';
import { TermDictionary } from '../../src/search/tokens.js';
import { words } from '../../src/search/text.js';
import { repoPath } from '../helpers/paths.js';

const MAX = 10 * 1024 * 1024;

/** A compact segment as comparable data: texts decoded, text offsets left out (they depend on the layout). */
function comparable(segment: CompactSegment): unknown {
  const { turns, ...header } = segment;
  const texts: string[] = [];
  const cols: number[] = [];
  for (let t = 0; t < turns.count; t++) {
    const o = t * STRIDE;
    texts.push(turns.text.toString('utf8', turns.cols[o + TEXT_START], turns.cols[o + TEXT_END]));
    for (let k = 0; k < TEXT_START; k++) cols.push(turns.cols[o + k]!);
  }
  return { header, texts, cols, names: turns.names, timecodes: turns.timecodes && [...turns.timecodes] };
}

/** Scans a copy (the scanner joins texts in place) and checks it against the reference; returns whether it scanned. */
function agrees(bytes: Buffer, file = 'x.md'): boolean {
  const copy = Buffer.from(bytes);
  const scanned = scanTranscript(copy, file, { maxBytes: MAX });
  if (scanned === null) {
    // Bailing out must leave the bytes as they were: the reference reads the same buffer next.
    expect(copy.equals(bytes)).toBe(true);
    return false;
  }
  const reference = parseTranscript(bytes, file, { maxBytes: MAX });
  expect(reference.ok && reference.warnings).toEqual([]);
  if (!reference.ok) throw new Error('the reference refused a file the scanner read');
  expect(comparable(scanned)).toEqual(comparable(compactSegment(reference.segment)));
  return true;
}

const tc = (s: number, f = 0) =>
  `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}:${String(f).padStart(2, '0')}`;

/** Transcripts in many spellings of the format: the scanner must agree with the reference on every one it reads. */
const transcriptArb = fc
  .record({
    crlf: fc.boolean(),
    bom: fc.boolean(),
    fps: fc.constantFrom(undefined, 25, 30),
    listed: fc.boolean(),
    extraKey: fc.constantFrom(
      '',
      'topics:\n  - A\n  - B\n',
      'summary: one\n  two three\n',
      "title: 'quoted'\n",
      'title: 1984\n',
    ),
    turns: fc.array(
      fc.record({
        gap: fc.nat({ max: 3 }),
        length: fc.nat({ max: 5 }),
        frames: fc.nat({ max: 29 }),
        speaker: fc.constantFrom('Ana', 'Bo', 'Søren Weiß', 'Ana:', '  Bo  ', 'Юлия', '?!'),
        sep: fc.constantFrom(' - ', '-', ' – ', ' --> ', '  -  ', ' -- '),
        lines: fc.array(
          fc.constantFrom(
            'Hello there.',
            '  indented text  ',
            'Prüfung\u00a0café',
            '\u00a0nbsp at the start',
            'tab\tinside',
            '# not a heading inside a turn',
            'it’s 10:30 — “quoted”',
            'trailing\u3000',
            'x',
          ),
          { minLength: 0, maxLength: 3 },
        ),
        before: fc.constantFrom('', '# Heading\n\n', '<!-- a comment -->\n\n', '<!--\nmulti\nline -->\n\n', '   \n'),
      }),
      { minLength: 0, maxLength: 6 },
    ),
  })
  .map(({ crlf, bom, fps, listed, extraKey, turns }) => {
    let at = 10;
    const body = turns
      .map((t) => {
        const start = at + t.gap;
        const end = start + t.length;
        at = end;
        return `${t.before}${tc(start, t.frames)}${t.sep}${tc(end, t.frames)}\n${t.speaker}\n${t.lines.join('\n')}\n`;
      })
      .join('\n');
    const front = `---\nseries: Show\nepisode: 1\nchunk: 1\n${fps ? `fps: ${fps}\n` : ''}${listed ? 'speakers:\n  - Ana\n  - Bo\n' : ''}${extraKey}---\n\n`;
    const text = `${bom ? '\ufeff' : ''}${front}${body}`;
    return Buffer.from(crlf ? text.replace(/\n/g, '\r\n') : text, 'utf8');
  });

describe('the byte-level scanner', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'scan-'));
    generateCorpus({ out: dir, episodes: 6, seed: 3 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every file of a generated corpus, exactly as the reference does', async () => {
    const files = await listTranscriptFiles(dir);
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) expect(agrees(readFileSync(path.join(dir, file)), file), file).toBe(true);
  });

  it('agrees with the reference on the fixtures, and leaves every file with a diagnostic to it', async () => {
    for (const folder of ['test/fixtures/archive', 'test/fixtures/valid', 'test/fixtures/invalid', 'data']) {
      for (const file of await listTranscriptFiles(repoPath(folder))) {
        const bytes = readFileSync(repoPath(`${folder}/${file}`));
        const reference = parseTranscript(bytes, file, { maxBytes: MAX });
        const scanned = agrees(bytes, file);
        if (!reference.ok || reference.warnings.length > 0) expect(scanned, file).toBe(false);
      }
    }
  });

  it('agrees with the reference on generated spellings of the format, and reads most clean ones', () => {
    let scanned = 0;
    let clean = 0;
    fc.assert(
      fc.property(transcriptArb, (bytes) => {
        const reference = parseTranscript(bytes, 'x.md', { maxBytes: MAX });
        if (reference.ok && reference.warnings.length === 0) clean++;
        if (agrees(bytes)) scanned++;
      }),
      { numRuns: 1500 },
    );
    expect(scanned).toBeGreaterThan(clean / 2);
  });

  it('never scans random bytes into something the reference refuses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (random, framed) => {
        const head = framed
          ? Buffer.from('---\nseries: S\nepisode: 1\nchunk: 1\n---\n\n00:00:01:00 - 00:00:02:00\nA\n')
          : Buffer.alloc(0);
        agrees(Buffer.concat([head, Buffer.from(random)]));
      }),
      { numRuns: 500 },
    );
  });
});

describe('the fast front-matter reader', () => {
  const line = fc.oneof(
    fc.constantFrom(
      'series: Show',
      'episode: 3',
      'chunk: 0',
      'title: 1984',
      'title: null',
      'title: true',
      'title: 0x1F',
      'title: 1e3',
      'title: .inf',
      'title: ~',
      'title: yes',
      'title: 00:01:02:03',
      'timecode: 00:00:01:00 - 00:00:02:00',
      'topics:',
      '  - A',
      '  - 12',
      '- B',
      '    - nested',
      'summary: first line',
      '  and more',
      'key:value',
      'a: b: c',
      "quote: 'x'",
      'hash: a #comment',
      'slug: x',
      'slug: y',
      '',
      '# comment',
      '__proto__: x',
      'tab:\tx',
      'list: [a, b]',
    ),
    fc.string({ maxLength: 20 }),
  );
  it('reads the common shape exactly as gray-matter and js-yaml do, and leaves the rest to them', () => {
    let read = 0;
    fc.assert(
      fc.property(fc.array(line, { maxLength: 10 }), (yamlLines) => {
        const lines = ['---', ...yamlLines, '---'];
        const fast = readFrontMatterFast(lines, lines.length - 1);
        if (fast === null) return;
        read++;
        const reference = parseFrontMatter(lines, 'x.md');
        expect(reference.ok).toBe(true);
        const value = (reference as { value: typeof fast }).value;
        expect(fast.data).toEqual(value.data);
        expect(Object.keys(fast.data)).toEqual(Object.keys(value.data));
        expect([...fast.keyLines]).toEqual([...value.keyLines]);
        expect([...fast.rawValues]).toEqual([...value.rawValues]);
        expect(fast.bodyStart).toBe(value.bodyStart);
      }),
      { numRuns: 2000 },
    );
    expect(read).toBeGreaterThan(100);
  });
});

describe('the byte tokenizer', () => {
  it('gives exactly the words of words() for any text', () => {
    const dictionary = new TermDictionary();
    const text = fc.string({
      unit: fc.oneof(
        fc.constantFrom(
          'a',
          'B',
          'z',
          '0',
          '9',
          ' ',
          '-',
          "'",
          '’',
          'é',
          'ß',
          'Ø',
          'æ',
          'İ',
          'ς',
          'Σ',
          '²',
          'ﬁ',
          '\u0301',
          'Я',
          '字',
          '😀',
          '\u00a0',
          '.',
          ',',
        ),
        fc.string({ unit: 'grapheme', maxLength: 1 }),
      ),
      maxLength: 60,
    });
    fc.assert(
      fc.property(text, (t) => {
        const bytes = Buffer.from(t, 'utf8');
        const ascii = !/[^\x00-\x7f]/.test(t);
        const ids: number[] = [];
        dictionary.forEachTerm(bytes, 0, bytes.length, ascii, true, (id) => ids.push(id));
        expect(ids.map((id) => dictionary.terms[id])).toEqual(words(t));
        // One id per word, however it was reached (as ASCII bytes or through folding).
        expect(ids).toEqual(words(t).map((w) => dictionary.get(w)));
      }),
      { numRuns: 3000 },
    );
  });
});
