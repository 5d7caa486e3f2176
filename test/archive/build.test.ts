import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadArchive, readTranscript } from '../../src/archive/index.js';
import type { Archive } from '../../src/archive/types.js';
import { makeCorpus, type Corpus } from '../helpers/corpus.js';
import { repoPath } from '../helpers/paths.js';

let corpus: Corpus;
let archive: Archive;
beforeAll(async () => {
  corpus = makeCorpus();
  archive = await loadArchive(corpus.dir);
});
afterAll(() => corpus.cleanup());

describe('loading a folder never seen before', () => {
  it('loads every transcript file, skipping hidden files and folders and other extensions', () => {
    expect(archive.diagnostics).toEqual([]);
    expect(archive.stats).toEqual({
      series: 3,
      episodes: 4,
      segments: 6,
      turns: 28,
      speakers: 6,
      files: 6,
      errors: 0,
      warnings: 0,
    });
    expect(archive.segments.map((s) => s.file)).toEqual([
      'Algebra Hour/ep-10.MD',
      'northern-lights/season-1/e01-b-opening.md',
      'northern-lights/season-1/e01-a-closing.md',
      'northern-lights/season-1/extra/e02.txt',
      'the-good-thing/ep03-06-cosmo-boring-tech-architecture.md',
      'the-good-thing/ep03-07-what-comes-next.md',
    ]);
  });

  it('orders series by title case-insensitively, with the first spelling in load order as the title', () => {
    expect(archive.series.map((s) => [s.id, s.title])).toEqual([
      ['algebra-hour', 'álgebra hour'],
      ['northern-lights', 'Northern Lights'],
      // ep03-06 (real file) loads before ep03-07, which spells it "the good thing".
      ['the-good-thing', 'The Good Thing'],
    ]);
  });

  it('assembles episodes from their segments, ordered by chunk, not by file name', () => {
    expect(archive.episodes.map((e) => [e.id, e.number, e.segments.map((s) => [s.id, s.chunk])])).toEqual([
      ['algebra-hour-ep10', 10, [['ep-10', 0]]],
      [
        'northern-lights-ep1',
        1,
        [
          ['northern-lights-e01-opening', 1],
          ['e01-a-closing', 2],
        ],
      ],
      ['northern-lights-ep2', 2, [['e02', 1]]],
      [
        'the-good-thing-ep3',
        3,
        [
          ['ep03-06-cosmo-boring-tech-architecture', 6],
          ['ep03-07-what-comes-next', 7],
        ],
      ],
    ]);
  });

  it('gives episodes the first segment start and last segment end', () => {
    const ep3 = archive.episodeById.get('the-good-thing-ep3')!;
    expect([ep3.start.smpte, ep3.end.smpte, ep3.durationSeconds]).toEqual([
      '00:21:40:13',
      '00:27:30:00',
      349.566666667,
    ]);
    const ep2 = archive.episodeById.get('northern-lights-ep2')!;
    // fps 25: 00:00:20:12 is 20.48 s; no start_time, so the first and last turns set the range.
    expect([ep2.start.seconds, ep2.end.seconds, ep2.durationSeconds]).toEqual([0, 20.48, 20.48]);
    const ep10 = archive.episodeById.get('algebra-hour-ep10')!;
    expect(ep10.start.seconds).toBeCloseTo((1798 * 1001) / 30000, 9);
    expect(ep10.durationSeconds).toBe(30.03);
  });

  it('merges speakers by id across files, episodes and series; the first spelling names them', () => {
    expect(archive.speakers.map((s) => [s.id, s.name, s.turns.length, s.wordCount])).toEqual([
      ['ana-maria-lopez', 'Ana María López', 2, 7],
      ['bjorn-schwenzer', 'Björn Schwenzer', 3, 13],
      ['dustin', 'Dustin', 8, 314],
      ['jens-neuse', 'Jens Neuse', 2, 19],
      ['soren-weiss', 'Søren Weiß', 3, 20],
      ['stefan', 'Stefan', 10, 499],
    ]);
    const jens = archive.speakerById.get('jens-neuse')!;
    expect(jens.episodes.map((e) => e.id)).toEqual(['northern-lights-ep2', 'the-good-thing-ep3']);
    expect(jens.segments.map((s) => s.id)).toEqual(['e02', 'ep03-07-what-comes-next']);
    expect(jens.talkTimeSeconds).toBe(24.193333333);
  });

  it('makes a Speaker of a participant who never speaks', () => {
    const ana = archive.speakerById.get('ana-maria-lopez')!;
    const opening = archive.segmentById.get('northern-lights-e01-opening')!;
    expect(opening.participants.map((p) => p.id)).toEqual(['soren-weiss', 'ana-maria-lopez', 'bjorn-schwenzer']);
    expect(opening.speakers.map((p) => p.id)).toEqual(['soren-weiss', 'bjorn-schwenzer']);
    expect(ana.segments.map((s) => s.id)).toEqual(['ep-10']);
  });

  it('lists distinct speakers in order of first turn, and distinct topics by first spelling', () => {
    const ep3 = archive.episodeById.get('the-good-thing-ep3')!;
    expect(ep3.speakers.map((s) => s.id)).toEqual(['stefan', 'dustin', 'jens-neuse']);
    expect(ep3.topics).toEqual(['Cosmo', 'Architecture', 'GCP', 'Kubernetes', 'Boring Tech', 'Roadmap']);
    expect(archive.episodeById.get('northern-lights-ep1')!.topics).toEqual(['aurora', 'Solar Wind']);
  });

  it('numbers turns per segment, links them across the episode, and derives stable ids', () => {
    const ep3 = archive.episodeById.get('the-good-thing-ep3')!;
    expect(ep3.turns).toHaveLength(19);
    expect(ep3.turns.slice().map((t) => t.episodeIndex)).toEqual(Array.from({ length: 19 }, (_, i) => i));
    const crossing = ep3.turns.at(17)!;
    expect(crossing.id).toBe('ep03-07-what-comes-next#1');
    expect(crossing.number).toBe(1);
    expect(archive.turnById.get('ep03-06-cosmo-boring-tech-architecture#17')?.position).toBe(
      ep3.turns.at(16)!.position,
    );
  });

  it('counts words as whitespace-separated tokens, across CRLF line joins', () => {
    const e02 = archive.segmentById.get('e02')!;
    expect(e02.turns.slice().map((t) => [t.text, t.wordCount])).toEqual([
      ['A bonus episode with a guest from another show.', 9],
      ['Thanks for coming, Jens.', 4],
    ]);
    expect(e02.wordCount).toBe(13);
  });

  it('indexes topics, tags, entities and mentions case-insensitively', () => {
    expect(archive.segmentsByTopic.get('aurora')!.map((s) => s.id)).toEqual([
      'northern-lights-e01-opening',
      'e01-a-closing',
    ]);
    expect(archive.segmentsByEntity.get('tromsø')!.map((s) => s.id)).toEqual(['northern-lights-e01-opening']);
    expect(archive.segmentsByTag.get('bonus')!.map((s) => s.id)).toEqual(['e02']);
  });
});

describe('broken files next to good ones', () => {
  let broken: Corpus;
  let withBroken: Archive;
  beforeAll(async () => {
    broken = makeCorpus({ broken: true });
    withBroken = await loadArchive(broken.dir, { maxBytes: 100_000 });
  });
  afterAll(() => broken.cleanup());

  it('still loads every good file, unchanged', () => {
    const good = withBroken.segments.filter((s) => !s.file.startsWith('broken/'));
    expect(good.map((s) => [s.id, s.turns.length, s.wordCount])).toEqual(
      archive.segments.map((s) => [s.id, s.turns.length, s.wordCount]),
    );
  });

  it('rejects every file with an error, reports each at its file and line, and keeps files with warnings', () => {
    const errorFiles = [...new Set(withBroken.diagnostics.filter((d) => d.severity === 'error').map((d) => d.file))];
    expect(errorFiles.sort()).toEqual(
      [
        'broken/comment-unclosed.md',
        'broken/duplicate-chunk/b.md',
        'broken/duplicate-slug/b.md',
        'broken/file-binary.md',
        'broken/file-not-utf8.md',
        'broken/front-matter-language.md',
        'broken/front-matter-missing.md',
        'broken/front-matter-not-mapping.md',
        'broken/front-matter-unclosed.md',
        'broken/key-type.md',
        'broken/no-turns.md',
        'broken/required-key-missing.md',
        'broken/slug-empty.md',
        'broken/text-outside-turn.md',
        'broken/timecode-drop-frame-fps.md',
        'broken/timecode-malformed.md',
        'broken/timecode-out-of-range.md',
        'broken/timecode-reversed.md',
        'broken/turn-missing-speaker.md',
        'broken/turn-missing-text.md',
        'broken/yaml-syntax.md',
      ].sort(),
    );
    for (const file of errorFiles) expect(withBroken.segments.some((s) => s.file === file)).toBe(false);
    const loadedBroken = withBroken.segments.filter((s) => s.file.startsWith('broken/')).map((s) => s.file);
    expect(loadedBroken).toContain('broken/unknown-key.md');
    expect(loadedBroken).toContain('broken/duplicate-slug/a.md');
    expect(withBroken.stats.errors).toBe(withBroken.diagnostics.filter((d) => d.severity === 'error').length);
    expect(withBroken.stats.errors).toBeGreaterThanOrEqual(errorFiles.length);
  });

  it('rejects the later of two files with the same slug or the same series, episode and chunk', () => {
    const dupes = withBroken.diagnostics.filter((d) => d.code.startsWith('DUPLICATE_'));
    expect(dupes.map((d) => [d.code, d.file, d.line, d.message])).toEqual([
      [
        'DUPLICATE_CHUNK',
        'broken/duplicate-chunk/b.md',
        4,
        'series "Fixture Show" episode 1 chunk 100 is already taken by broken/duplicate-chunk/a.md',
      ],
      [
        'DUPLICATE_SLUG',
        'broken/duplicate-slug/b.md',
        5,
        'slug "same-slug" is already taken by broken/duplicate-slug/a.md',
      ],
    ]);
  });
});

describe('reading files', () => {
  it('reports a file that cannot be read, instead of throwing', async () => {
    const result = await readTranscript(repoPath('data'), 'gone/missing.md');
    expect(result).toMatchObject({
      ok: false,
      errors: [{ code: 'FILE_UNREADABLE', file: 'gone/missing.md', line: 1 }],
    });
  });

  it('refuses a file over the size limit without parsing it', async () => {
    const result = await readTranscript(repoPath('data'), 'the-good-thing/ep03-06-cosmo-boring-tech-architecture.md', {
      maxBytes: 1000,
    });
    expect(result).toMatchObject({ ok: false, errors: [{ code: 'FILE_TOO_LARGE', line: 1 }] });
  });

  it('throws when the data folder itself is missing', async () => {
    await expect(loadArchive(repoPath('no-such-folder'))).rejects.toThrow(/ENOENT/);
  });
});
