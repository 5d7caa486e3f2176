/**
 * Property-based tests: whatever bytes arrive, the parser answers with a segment or diagnostics. It never throws,
 * never hangs (the test timeout is the alarm), never runs code from the file.
 */
import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { diagnosticCodes, parseTranscript, type ParseResult } from '../../src/parser/index.js';
import { repoPath } from '../helpers/paths.js';

const REAL = readFileSync(repoPath('data/the-good-thing/ep03-06-cosmo-boring-tech-architecture.md'), 'utf8');
const CODES = new Set<string>(diagnosticCodes);

/** What every result must satisfy, valid or not. */
function wellFormed(result: ParseResult, lineCount: number): void {
  if (result.ok) {
    expect(result.segment.turns.length).toBeGreaterThan(0);
    for (const turn of result.segment.turns) {
      expect(turn.end.seconds).toBeGreaterThanOrEqual(turn.start.seconds);
      expect(turn.text).not.toBe('');
    }
  } else {
    expect(result.errors.length).toBeGreaterThan(0);
  }
  for (const d of [...(result.ok ? [] : result.errors), ...result.warnings]) {
    expect(CODES.has(d.code)).toBe(true);
    expect(d.file).toBe('fuzz.md');
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.line).toBeLessThanOrEqual(lineCount + 1);
    expect(d.message.length).toBeGreaterThan(0);
  }
}

const parse = (input: string | Uint8Array): ParseResult => parseTranscript(input, 'fuzz.md');
const lines = (text: string) => text.split(/\r?\n/).length;

describe('parser fuzzing', () => {
  it('answers any random bytes with diagnostics', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        wellFormed(parse(bytes), Buffer.from(bytes).toString('latin1').split('\n').length);
      }),
      { numRuns: 300 },
    );
  });

  it('answers any random text, with or without front matter', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), fc.boolean(), (text, framed) => {
        const input = framed ? `---\nseries: S\nepisode: 1\nchunk: 1\n---\n${text}` : text;
        wellFormed(parse(input), lines(input));
      }),
      { numRuns: 300 },
    );
  });

  it('survives truncation, shuffled, dropped, duplicated and injected lines of a real transcript', () => {
    const realLines = REAL.split('\n');
    const mutation = fc.oneof(
      fc.nat(REAL.length).map((n) => REAL.slice(0, n)),
      fc.shuffledSubarray(realLines, { minLength: 0 }).map((l) => l.join('\n')),
      fc
        .array(fc.nat(realLines.length - 1), { maxLength: 20 })
        .map((drop) => realLines.filter((_, i) => !drop.includes(i)).join('\n')),
      fc
        .tuple(fc.nat(realLines.length - 1), fc.nat(realLines.length - 1))
        .map(([a, b]) => [...realLines.slice(0, a), ...realLines.slice(b), ...realLines.slice(a)].join('\n')),
      fc
        .tuple(fc.nat(realLines.length - 1), fc.string({ maxLength: 200 }))
        .map(([at, junk]) => [...realLines.slice(0, at), junk, ...realLines.slice(at)].join('\n')),
    );
    fc.assert(
      fc.property(mutation, (text) => {
        wellFormed(parse(text), lines(text));
      }),
      { numRuns: 400 },
    );
  });

  it('handles hostile shapes: huge lines, deep YAML, alias bombs, pathological timecodes', () => {
    const front = '---\nseries: S\nepisode: 1\nchunk: 1\n';
    const cases = [
      `${front}---\n\n00:00:01:00 - 00:00:02:00\nAna\n${'word '.repeat(400_000)}\n`,
      `${front}topics: ${'['.repeat(5000)}${']'.repeat(5000)}\n---\n`,
      `${front}topics: ${'- '.repeat(3000)}x\n---\n`,
      `${front}a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\ntopics: *e\n---\n`,
      `${front}---\n\n${'0'.repeat(100_000)}:${'1:'.repeat(50_000)}\nAna\nText\n`,
      `${front}---\n\n${'00:00:01:00 - '.repeat(20_000)}\nAna\nText\n`,
      `${front}---\n\n${'<!-- '.repeat(50_000)}\n`,
      `${front}title: "${'\\\\'.repeat(100_000)}"\n---\n`,
      `${'-'.repeat(200_000)}\n`,
      `---\n${'x: 1\n'.repeat(1)}${'# comment\n'.repeat(100_000)}---\n`,
    ];
    for (const text of cases) wellFormed(parse(text), lines(text));
  });

  it('never executes ---js front matter, however it is spelled', () => {
    const flag = '__fuzzExecuted';
    fc.assert(
      fc.property(
        fc.constantFrom('js', 'javascript', 'JS', 'coffee', 'coffeescript', 'cson', 'json', 'toml'),
        (lang) => {
          const result = parse(
            `---${lang}\n{ series: (globalThis.${flag} = 'S'), episode: 1, chunk: 1 }\n---\n\n00:00:01:00 - 00:00:02:00\nA\nB\n`,
          );
          expect(result.ok).toBe(false);
          expect((globalThis as Record<string, unknown>)[flag]).toBeUndefined();
        },
      ),
    );
  });
});
