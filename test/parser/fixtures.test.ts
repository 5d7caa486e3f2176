import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import matter from 'gray-matter';
import { describe, expect, it } from 'vitest';

import { loadArchive } from '../../src/archive/index.js';
import { diagnosticCodes, parseTranscript, type DiagnosticCode, type ParseResult } from '../../src/parser/index.js';
import { repoPath } from '../helpers/paths.js';

const parseFixture = (kind: 'valid' | 'invalid', name: string, maxBytes?: number): ParseResult =>
  parseTranscript(readFileSync(repoPath(`test/fixtures/${kind}/${name}`)), name, maxBytes ? { maxBytes } : {});

/** Every diagnostic each invalid fixture must give: exactly these, in this order. */
const INVALID: Record<string, { ok: boolean; diagnostics: [DiagnosticCode, number][]; maxBytes?: number }> = {
  'file-too-large.md': { ok: false, diagnostics: [['FILE_TOO_LARGE', 1]], maxBytes: 100 },
  'file-binary.md': { ok: false, diagnostics: [['FILE_BINARY', 9]] },
  'file-not-utf8.md': { ok: false, diagnostics: [['FILE_NOT_UTF8', 13]] },
  'front-matter-missing.md': { ok: false, diagnostics: [['FRONT_MATTER_MISSING', 1]] },
  'front-matter-unclosed.md': { ok: false, diagnostics: [['FRONT_MATTER_UNCLOSED', 1]] },
  'front-matter-language.md': { ok: false, diagnostics: [['FRONT_MATTER_LANGUAGE', 1]] },
  'yaml-syntax.md': { ok: false, diagnostics: [['YAML_SYNTAX', 6]] },
  'front-matter-not-mapping.md': { ok: false, diagnostics: [['FRONT_MATTER_NOT_MAPPING', 2]] },
  'required-key-missing.md': { ok: false, diagnostics: [['REQUIRED_KEY_MISSING', 1]] },
  'key-type.md': {
    ok: false,
    diagnostics: [
      ['KEY_TYPE', 3],
      ['KEY_TYPE', 5],
    ],
  },
  'slug-empty.md': { ok: false, diagnostics: [['SLUG_EMPTY', 5]] },
  'timecode-malformed.md': { ok: false, diagnostics: [['TIMECODE_MALFORMED', 11]] },
  'timecode-out-of-range.md': { ok: false, diagnostics: [['TIMECODE_OUT_OF_RANGE', 11]] },
  'timecode-drop-frame-fps.md': {
    ok: false,
    diagnostics: [
      ['TIMECODE_DROP_FRAME_FPS', 8],
      ['TIMECODE_DROP_FRAME_FPS', 8],
    ],
  },
  'timecode-reversed.md': { ok: false, diagnostics: [['TIMECODE_REVERSED', 11]] },
  'turn-missing-speaker.md': { ok: false, diagnostics: [['TURN_MISSING_SPEAKER', 11]] },
  'turn-missing-text.md': { ok: false, diagnostics: [['TURN_MISSING_TEXT', 11]] },
  'text-outside-turn.md': { ok: false, diagnostics: [['TEXT_OUTSIDE_TURN', 11]] },
  'comment-unclosed.md': { ok: false, diagnostics: [['COMMENT_UNCLOSED', 11]] },
  'no-turns.md': { ok: false, diagnostics: [['NO_TURNS', 6]] },
  // Warnings: the file still loads.
  'unknown-key.md': { ok: true, diagnostics: [['UNKNOWN_KEY', 5]] },
  'timecode-mismatch.md': { ok: true, diagnostics: [['TIMECODE_MISMATCH', 6]] },
  'speaker-not-listed.md': { ok: true, diagnostics: [['SPEAKER_NOT_LISTED', 14]] },
  'turn-out-of-order.md': { ok: true, diagnostics: [['TURN_OUT_OF_ORDER', 11]] },
  'turn-overlap.md': { ok: true, diagnostics: [['TURN_OVERLAP', 11]] },
  'turn-outside-range.md': { ok: true, diagnostics: [['TURN_OUTSIDE_RANGE', 9]] },
};

/**
 * Codes one file cannot show, each with the folder that shows it (built in a temp folder, since git keeps no links
 * out of a checkout) and every diagnostic the loader must give: [code, file, line].
 */
const FOLDERS: Record<
  string,
  { build: (data: string, outside: string) => void; diagnostics: [DiagnosticCode, string, number][] }
> = {
  'a link to a file outside the data folder': {
    build: (data, outside) => {
      writeFileSync(path.join(outside, 'elsewhere.md'), readFileSync(repoPath('test/fixtures/valid/minimal.md')));
      symlinkSync(path.join(outside, 'elsewhere.md'), path.join(data, 'link.md'));
    },
    diagnostics: [['FILE_OUTSIDE_DATA_DIR', 'link.md', 1]],
  },
};

describe('invalid fixtures: one per diagnostic, with code and line', () => {
  it.each(Object.entries(INVALID))('%s', (name, expected) => {
    const result = parseFixture('invalid', name, expected.maxBytes);
    expect(result.ok).toBe(expected.ok);
    const all = result.ok ? result.warnings : [...result.errors, ...result.warnings];
    expect(all.map((d) => [d.code, d.line])).toEqual(expected.diagnostics);
    for (const d of all) {
      expect(d.file).toBe(name);
      expect(d.message).not.toBe('');
      expect(d.severity).toBe(expected.ok ? 'warning' : 'error');
    }
  });

  it.each(Object.entries(FOLDERS))('folder: %s', async (_name, expected) => {
    const base = mkdtempSync(path.join(tmpdir(), 'fixture-'));
    try {
      const data = path.join(base, 'data');
      const outside = path.join(base, 'outside');
      mkdirSync(data);
      mkdirSync(outside);
      expected.build(data, outside);
      const archive = await loadArchive(data);
      expect(archive.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual(expected.diagnostics);
      for (const d of archive.diagnostics) expect(d.severity).toBe('error');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('has a fixture for every diagnostic code', () => {
    const covered = new Set<string>(
      [...Object.values(INVALID), ...Object.values(FOLDERS)].flatMap((e) => e.diagnostics.map(([code]) => code)),
    );
    // Cross-file codes have folder fixtures (test/archive); FILE_UNREADABLE needs a file that vanishes mid-load.
    for (const code of ['DUPLICATE_SLUG', 'DUPLICATE_CHUNK', 'FILE_UNREADABLE']) covered.add(code);
    expect(diagnosticCodes.filter((code) => !covered.has(code))).toEqual([]);
    const files = readdirSync(repoPath('test/fixtures/invalid'), { withFileTypes: true });
    expect(
      files
        .filter((f) => f.isFile())
        .map((f) => f.name)
        .sort(),
    ).toEqual(Object.keys(INVALID).sort());
  });

  it('names the problem in words a person can act on', () => {
    const result = parseFixture('invalid', 'key-type.md');
    expect(result.ok ? [] : result.errors.map((e) => e.message)).toEqual([
      'front-matter key "episode" must be a whole number >= 0, got number -1',
      'front-matter key "speakers" must be a list of text, got string "Ana and Bo"',
    ]);
  });

  it('collects every problem in a file, not only the first', () => {
    const text = [
      '---',
      'series: S',
      'episode: one',
      'chunk: 1',
      'mood: great',
      '---',
      '',
      '00:00:01:00 - 00:00:00:00',
      'Ana',
      'Backwards.',
      '',
      'stray text',
      '',
      '00:00:02:00 - 00:00:03:99',
      'Bo',
      'Bad frames.',
    ].join('\n');
    const result = parseTranscript(text, 'many.md');
    expect(result.ok).toBe(false);
    const all = result.ok ? [] : [...result.errors, ...result.warnings];
    expect(all.map((d) => [d.code, d.line])).toEqual([
      ['KEY_TYPE', 3],
      ['TIMECODE_REVERSED', 8],
      ['TEXT_OUTSIDE_TURN', 12],
      ['TIMECODE_OUT_OF_RANGE', 14],
      ['UNKNOWN_KEY', 5],
    ]);
  });
});

describe('safety', () => {
  it('never evaluates ---js front matter', () => {
    const result = parseFixture('invalid', 'front-matter-language.md');
    expect(result.ok).toBe(false);
    expect((globalThis as Record<string, unknown>).__pwned).toBeUndefined();
    // Even through gray-matter's own engine lookup, js is refused.
    const js = '---\nseries: x\n---\n';
    expect(parseTranscript(js.replace('---\n', '---javascript\n'), 'js.md').ok).toBe(false);
    expect(parseTranscript(js.replace('---\n', '---coffee\n'), 'coffee.md').ok).toBe(false);
  });

  it('keeps gray-matter content cache empty', () => {
    for (let i = 0; i < 3; i++) parseFixture('valid', 'minimal.md');
    expect(Object.keys((matter as unknown as { cache: object }).cache)).toEqual([]);
  });

  it('reads YAML 1.1 look-alikes as text: sexagesimal timecodes, yes/no, dates', () => {
    const text = [
      '---',
      'series: S',
      'episode: 1',
      'chunk: 1',
      'title: 2024-01-01',
      'segment: yes',
      'start_time: 10:00:02:00',
      'end_time: 10:00:09:00',
      '---',
      '',
      '10:00:02:00 - 10:00:09:00',
      'Ana',
      'Late.',
    ].join('\n');
    const result = parseTranscript(text, 'late.md');
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.segment).toMatchObject({
      title: '2024-01-01',
      description: 'yes',
      start: { smpte: '10:00:02:00', seconds: 36002 },
      end: { smpte: '10:00:09:00', seconds: 36009 },
    });
  });

  it('rejects duplicate YAML keys instead of silently keeping one', () => {
    const result = parseTranscript('---\nseries: A\nseries: B\nepisode: 1\nchunk: 1\n---\n', 'dup.md');
    expect(result.ok ? [] : result.errors.map((e) => [e.code, e.line])).toEqual([['YAML_SYNTAX', 3]]);
  });
});

describe('valid fixtures', () => {
  const load = (name: string) => {
    const result = parseFixture('valid', name);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.warnings).toEqual([]);
    return result.segment;
  };
  const summary = (name: string) => load(name).turns.map((t) => [t.speaker, t.start.seconds, t.end.seconds, t.text]);

  it('minimal.md: required keys only, defaults for the rest', () => {
    const s = load('minimal.md');
    expect(s).toMatchObject({
      slug: 'minimal',
      title: 'minimal',
      fps: 30,
      description: null,
      summary: null,
      start: null,
      end: null,
    });
    expect([s.participants, s.speakers, s.topics, s.tags, s.topicTags, s.entities, s.mentions]).toEqual([
      [],
      [],
      [],
      [],
      [],
      [],
      [],
    ]);
    expect(summary('minimal.md')).toEqual([
      ['Ana', 1, 4.5, 'Hello and welcome.'],
      ['Bo', 4.5, 9, 'Thanks for having me.'],
    ]);
  });

  it('crlf-bom.md: CRLF line ends and a BOM read like LF', () => {
    expect(load('crlf-bom.md').title).toBe('Windows file');
    expect(summary('crlf-bom.md')).toEqual(summary('minimal.md'));
  });

  it('clock-times.txt: HH:MM:SS.mmm and HH:MM:SS', () => {
    expect(summary('clock-times.txt')).toEqual([
      ['Ana', 1.25, 3.5, 'Milliseconds after a dot.'],
      ['Bo', 4, 7, 'Whole seconds.'],
    ]);
  });

  it('drop-frame.md: ; timecodes at 29.97', () => {
    const turns = load('drop-frame.md').turns;
    expect(turns[0]!.start.seconds).toBeCloseTo((1798 * 1001) / 30000, 9);
    expect(turns[0]!.end.seconds).toBeCloseTo((1800 * 1001) / 30000, 9);
    expect(turns[1]!.end.smpte).toBe('00:10:00;00');
  });

  it('headings-comments.md: headings and comments skipped, lines joined, "Speaker:" accepted', () => {
    expect(summary('headings-comments.md')).toEqual([
      ['Ana', 1, 4.5, 'First line of text, second line, indented.'],
      ['Bo', 4.5, 9, 'Speaker line with a colon.'],
    ]);
  });

  it('marathon.md: fps 25, hours past ten, empty and null lists', () => {
    const s = load('marathon.md');
    expect(s).toMatchObject({
      fps: 25,
      start: { smpte: '10:00:02:00', seconds: 36002 },
      end: { smpte: '10:00:20:24', seconds: 36020.96 },
      participants: ['Ana', 'Cy'],
      speakers: ['Ana'],
      topics: [],
      tags: [],
    });
    expect(s.turns[0]!.end.seconds).toBe(36010.96);
  });
});
