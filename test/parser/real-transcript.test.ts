import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { parseTranscript, type ParsedSegment } from '../../src/parser/index.js';
import { repoPath } from '../helpers/paths.js';

const FILE = 'the-good-thing/ep03-06-cosmo-boring-tech-architecture.md';

function parseReal(): ParsedSegment {
  const result = parseTranscript(readFileSync(repoPath(`data/${FILE}`)), FILE);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  expect(result.warnings).toEqual([]);
  return result.segment;
}

describe('the real transcript (data/)', () => {
  it('has exactly 17 turns: 9 by Stefan, 8 by Dustin', () => {
    const { turns } = parseReal();
    expect(turns).toHaveLength(17);
    expect(turns.filter((t) => t.speaker === 'Stefan')).toHaveLength(9);
    expect(turns.filter((t) => t.speaker === 'Dustin')).toHaveLength(8);
    expect(turns.map((t) => t.number)).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
  });

  it('starts at 00:21:40:13 (1300.4333 s) and its first turn ends at 00:22:00:20', () => {
    const first = parseReal().turns[0]!;
    expect(first.speaker).toBe('Stefan');
    expect(first.start).toEqual({ smpte: '00:21:40:13', seconds: expect.closeTo(1300.4333, 4) });
    expect(first.end).toEqual({ smpte: '00:22:00:20', seconds: expect.closeTo(1320.6667, 4) });
    expect(first.line).toBe(51);
    expect(first.text).toMatch(
      /^And so with that learning, so we, we, we chose fly for wundergraph cloud\. And then when we started/,
    );
    expect(first.text).not.toMatch(/\n|\s{2}/);
    expect(first.wordCount).toBe(60);
  });

  it('ends with the turn "And,"', () => {
    const last = parseReal().turns.at(-1)!;
    expect(last).toMatchObject({ speaker: 'Dustin', text: 'And,', wordCount: 1, number: 17 });
    expect(last.start.smpte).toBe('00:26:44:19');
    expect(last.end.smpte).toBe('00:26:46:23');
  });

  it('reads the front matter', () => {
    const s = parseReal();
    expect(s).toMatchObject({
      slug: 'ep03-06-cosmo-boring-tech-architecture',
      title: "Cosmo's Boring Tech Architecture",
      series: 'The Good Thing',
      episode: 3,
      chunk: 6,
      fps: 30,
      description: "Discussion of Cosmo's boring tech architecture and infrastructure choices",
      participants: ['Stefan', 'Dustin'],
      speakers: ['Stefan', 'Dustin'],
      topics: ['Cosmo', 'Architecture', 'GCP', 'Kubernetes', 'Boring Tech'],
      tags: ['cosmo', 'kubernetes'],
      topicTags: ['cosmo', 'kubernetes'],
      mentions: ['GCP', 'Kubernetes', 'ClickHouse', 'Keycloak', 'Cloudflare Workers', 'managed services'],
    });
    expect(s.entities).toHaveLength(8);
    expect(s.summary).toMatch(/^Dustin explains Cosmo's boring tech architecture .* previous Fly\.io experience\.$/);
    expect(s.start?.smpte).toBe('00:21:40:13');
    expect(s.end?.smpte).toBe('00:26:46:23');
  });

  it('gives 810 words in all, 496 by Stefan and 314 by Dustin', () => {
    const { turns } = parseReal();
    const words = (speaker: string) => turns.filter((t) => t.speaker === speaker).reduce((n, t) => n + t.wordCount, 0);
    expect(words('Stefan')).toBe(496);
    expect(words('Dustin')).toBe(314);
  });

  it('parses the same as text, as bytes, with CRLF and with a BOM', () => {
    const bytes = readFileSync(repoPath(`data/${FILE}`));
    const text = bytes.toString('utf8');
    const reference = parseTranscript(bytes, FILE);
    expect(parseTranscript(text, FILE)).toEqual(reference);
    expect(parseTranscript(`\uFEFF${text.replace(/\n/g, '\r\n')}`, FILE)).toEqual(reference);
    expect(parseTranscript(Buffer.from(`\uFEFF${text.replace(/\n/g, '\r\n')}`), FILE)).toEqual(reference);
  });
});
