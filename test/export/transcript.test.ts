import { createRequire } from 'node:module';

import SrtParser from 'srt-parser-2';
import webvtt, { type CueNode } from 'webvtt-parser';
import { beforeAll, describe, expect, it } from 'vitest';

import { loadArchive, type TranscriptLine } from '../../src/archive/index.js';
import type { Archive, EpisodeRecord, TurnRecord } from '../../src/archive/types.js';
import {
  CUE_LINE_LENGTH,
  renderChapters,
  renderTranscript,
  SRT_LINE_LENGTH,
  stamp,
  wrap,
} from '../../src/export/transcript.js';
import { archiveOf, transcript } from '../helpers/archive.js';
import { repoPath } from '../helpers/paths.js';

// The parser's built-in table lacks `&amp;` with its semicolon; it ships the full HTML table for this.
const entities = createRequire(import.meta.url)('webvtt-parser/html-entities.json') as Record<string, string>;
/** Turns as the lines a transcript renders. */
const lines = (turns: Iterable<TurnRecord>): TranscriptLine[] =>
  [...turns].map((t) => ({ speaker: t.speaker.name, start: t.start, end: t.end, text: t.text }));

const parseVtt = (text: string) => new webvtt.WebVTTParser(entities).parse(text);

let real: EpisodeRecord;
let late: Archive;
beforeAll(async () => {
  real = (await loadArchive(repoPath('data'))).episodes[0]!;
  // Past the first hour, text that needs escaping in WebVTT, a word longer than a cue line, and the same speaker
  // twice in a row.
  late = await archiveOf({
    'late.md': transcript({ series: 'Late Show', episode: 1, chunk: 1, fps: 25 }, [
      ['00:59:58:00', '01:00:04:12', 'Ana & Bo', 'Short one & a <tag>.'],
      ['01:00:05:00', '01:00:30:00', 'Bo', `${'word '.repeat(40)}${'x'.repeat(80)} end`],
      ['01:00:31:00', '01:00:33:00', 'Bo', 'Still Bo here.'],
    ]),
  });
});

const ms = (seconds: number) => Math.round(seconds * 1000) / 1000;
const textOf = (nodes: CueNode[]): string =>
  nodes.map((n) => (n.type === 'text' ? n.value! : textOf(n.children ?? []))).join('');
const voiceOf = (nodes: CueNode[]): string | undefined =>
  nodes.find((n) => n.type === 'object' && n.name === 'v')?.value;

/** Cues grouped back into turns by matching their start against the turns' spans. */
function byTurn<C>(turns: readonly TurnRecord[], cues: C[], start: (c: C) => number): C[][] {
  return turns.map((t, i) => {
    const next = turns[i + 1]?.start.seconds ?? Infinity;
    return cues.filter((c) => start(c) >= ms(t.start.seconds) - 0.0005 && start(c) < next - 0.0005);
  });
}

describe('WebVTT', () => {
  it('parses back with a standards parser: times, voices and text of every turn', () => {
    for (const turns of [real.turns.slice(), late.turns.slice()]) {
      const vtt = renderTranscript(lines(turns), 'WEBVTT');
      expect(vtt.startsWith('WEBVTT\n\n')).toBe(true);
      const { cues, errors } = parseVtt(vtt);
      expect(errors).toEqual([]);
      const groups = byTurn(turns, cues, (c) => c.startTime);
      turns.forEach((turn, i) => {
        const group = groups[i]!;
        expect(group.length).toBeGreaterThan(0);
        expect(group[0]!.startTime).toBeCloseTo(ms(turn.start.seconds), 3);
        expect(group.at(-1)!.endTime).toBeCloseTo(ms(turn.end.seconds), 3);
        for (const cue of group) expect(voiceOf(cue.tree.children)).toBe(turn.speaker.name);
        expect(group.map((c) => textOf(c.tree.children).replace(/\n/g, ' ')).join(' ')).toBe(turn.text);
        for (let k = 1; k < group.length; k++) expect(group[k]!.startTime).toBeCloseTo(group[k - 1]!.endTime, 3);
      });
    }
  });

  it('splits long turns into cues of at most two lines of about 65 characters', () => {
    const { cues } = parseVtt(renderTranscript(lines(real.turns), 'WEBVTT'));
    expect(cues.length).toBeGreaterThan(real.turns.length);
    for (const cue of cues) {
      const lines = textOf(cue.tree.children).split('\n');
      expect(lines.length).toBeLessThanOrEqual(2);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(CUE_LINE_LENGTH);
    }
    expect(wrap(`a ${'x'.repeat(80)} b`)).toEqual(['a', 'x'.repeat(80), 'b']);
  });

  it('writes HH:MM:SS.mmm times from the start of the recording', () => {
    const vtt = renderTranscript(lines(real.turns), 'WEBVTT');
    expect(vtt).toContain('\n\n00:21:40.433 --> ');
    expect(vtt.trimEnd().endsWith('<v Dustin>And,')).toBe(true);
    expect(renderTranscript(lines(late.turns), 'WEBVTT')).toContain('<v Ana & Bo>Short one &amp; a &lt;tag&gt;.');
  });
});

describe('SRT', () => {
  /** Whether a turn starts a new speaker (the first turn does). */
  const changes = (turns: readonly TurnRecord[], i: number) => i === 0 || turns[i - 1]!.speaker !== turns[i]!.speaker;

  it('parses back: numbered cards, HH:MM:SS,mmm, the times and text of every turn', () => {
    for (const turns of [real.turns.slice(), late.turns.slice()]) {
      const srt = renderTranscript(lines(turns), 'SRT');
      expect(srt).toMatch(/^1\n\d{2}:\d{2}:\d{2},\d{3} --> \d{2}:\d{2}:\d{2},\d{3}\n/);
      const cues = new SrtParser().fromSrt(srt);
      expect(cues.map((c) => c.id)).toEqual(cues.map((_, i) => String(i + 1)));
      const groups = byTurn(turns, cues, (c) => c.startSeconds);
      turns.forEach((t, i) => {
        const group = groups[i]!;
        expect(group[0]!.startSeconds).toBeCloseTo(ms(t.start.seconds), 3);
        expect(group.at(-1)!.endSeconds).toBeCloseTo(ms(t.end.seconds), 3);
        for (let k = 1; k < group.length; k++) expect(group[k]!.startSeconds).toBeCloseTo(group[k - 1]!.endSeconds, 3);
        const prefix = changes(turns, i) ? `${t.speaker.name}: ` : '';
        expect(group[0]!.text.startsWith(prefix)).toBe(true);
        expect(group.map((c) => c.text.replace(/\n/g, ' ')).join(' ')).toBe(prefix + t.text);
      });
    }
  });

  it('follows the Podcasting 2.0 guidance: 2 lines of 32 characters, the speaker named when the speaker changes', () => {
    for (const turns of [real.turns.slice(), late.turns.slice()]) {
      const cues = new SrtParser().fromSrt(renderTranscript(lines(turns), 'SRT'));
      for (const cue of cues) {
        const lines = cue.text.split('\n');
        expect(lines.length).toBeLessThanOrEqual(2);
        // Only a single word longer than a line may pass it (it cannot be broken).
        for (const line of lines) if (line.length > SRT_LINE_LENGTH) expect(line).not.toContain(' ');
      }
      const named = cues.filter((c) => turns.some((t) => c.text.startsWith(`${t.speaker.name}: `)));
      expect(named).toHaveLength(turns.filter((_, i) => changes(turns, i)).length);
    }
    // Bo's second turn in a row is not named again.
    expect(renderTranscript(lines(late.turns), 'SRT')).toMatch(/\nStill Bo here\.\n$/);
    expect(renderTranscript(lines(late.turns), 'SRT')).toMatch(
      /^1\n00:59:58,000 --> 01:00:04,480\nAna & Bo: Short one & a <tag>\.\n/,
    );
  });
});

describe('Podcasting 2.0 JSON', () => {
  it('has the transcript shape: version 1.0.0 and one segment per turn', () => {
    const json = JSON.parse(renderTranscript(lines(real.turns), 'JSON'));
    expect(Object.keys(json)).toEqual(['version', 'segments']);
    expect(json.version).toBe('1.0.0');
    expect(json.segments).toHaveLength(17);
    for (const [i, s] of (json.segments as Record<string, unknown>[]).entries()) {
      expect(Object.keys(s).sort()).toEqual(['body', 'endTime', 'speaker', 'startTime']);
      expect(s).toEqual({
        speaker: real.turns.at(i)!.speaker.name,
        startTime: ms(real.turns.at(i)!.start.seconds),
        endTime: ms(real.turns.at(i)!.end.seconds),
        body: real.turns.at(i)!.text,
      });
    }
    expect(json.segments[0]).toMatchObject({ speaker: 'Stefan', startTime: 1300.433, endTime: 1320.667 });
  });
});

describe('plain text', () => {
  it('writes one paragraph per turn: Speaker [MM:SS]: text, [H:MM:SS] from the first hour on', () => {
    const paragraphs = renderTranscript(lines(real.turns), 'TEXT').trimEnd().split('\n\n');
    expect(paragraphs).toHaveLength(17);
    expect(paragraphs[0]).toMatch(/^Stefan \[21:40\]: And so with that learning/);
    expect(paragraphs[16]).toBe('Dustin [26:44]: And,');
    expect(renderTranscript(lines(late.turns), 'TEXT')).toMatch(
      /^Ana & Bo \[59:58\]: Short one & a <tag>\.\n\nBo \[1:00:05\]: word/,
    );
    expect([stamp(0), stamp(59.99), stamp(3599.5), stamp(3600), stamp(36002.4)]).toEqual([
      '[00:00]',
      '[00:59]',
      '[59:59]',
      '[1:00:00]',
      '[10:00:02]',
    ]);
  });
});

describe('chapters', () => {
  it('gives one Podcasting 2.0 chapter per segment', () => {
    expect(JSON.parse(renderChapters(real.segments))).toEqual({
      version: '1.2.0',
      chapters: [{ startTime: 1300.433, endTime: 1606.767, title: "Cosmo's Boring Tech Architecture" }],
    });
  });
});
