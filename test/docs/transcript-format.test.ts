/**
 * docs/transcript-format.md is the parser's: every diagnostic code with its severity, nothing else in the table;
 * the identity examples are what the slug rule and the shipped data make; the timecode forms are the parser's.
 * (The `npm run validate` sample and the file sample are run in examples.test.ts.)
 */
import { describe, expect, it } from 'vitest';

import { loadArchive } from '../../src/archive/index.js';
import { diagnosticCodes, severityOf, slugify } from '../../src/parser/index.js';
import { readPage } from '../helpers/docs.js';
import { repoPath } from '../helpers/paths.js';

const PAGE = 'docs/transcript-format.md';
const page = readPage(PAGE);
const section = (heading: string): string => {
  const start = page.indexOf(`\n## ${heading}\n`);
  expect(start, `${PAGE} has ## ${heading}`).toBeGreaterThan(0);
  const end = page.indexOf('\n## ', start + 1);
  return page.slice(start, end < 0 ? undefined : end);
};

describe('the transcript format page', () => {
  it('documents every diagnostic code with its severity', () => {
    for (const code of diagnosticCodes) {
      expect(page).toMatch(new RegExp(`\\| \`${code}\`\\s*\\| ${severityOf(code)}\\s*\\|`));
    }
  });

  it('documents no code the parser does not have', () => {
    const rows = [...section('Diagnostics').matchAll(/^\| `([A-Z0-9_]+)`/gm)].map((m) => m[1]);
    expect(rows.sort()).toEqual([...diagnosticCodes].sort());
  });

  it('gives identity examples that the slug rule makes', () => {
    const identity = section('Identity');
    const pairs = [...identity.matchAll(/`([^`]+)`\s*→\s*`([^`]+)`/g)].map((m) => [m[1]!, m[2]!] as const);
    expect(pairs.length).toBeGreaterThanOrEqual(10);
    for (const [from, to] of pairs) expect(slugify(from), `${from} → ${to}`).toBe(to);
  });

  it('gives the ids of the shipped data in its examples', async () => {
    const archive = await loadArchive(repoPath('data'));
    const identity = section('Identity');
    const episode = archive.episodes[0]!;
    const segment = episode.segments[0]!;
    expect(identity).toContain(`\`${episode.series.id}\``);
    expect(identity).toContain(`\`${episode.id}\``);
    expect(identity).toContain(`\`${segment.id}\``);
    expect(identity).toContain(`\`${segment.id}#${segment.turns.length}\``);
  });

  it('names every timecode form the parser accepts', async () => {
    const { TIMECODE_FORMS } = await import('../../src/parser/timecode.js');
    for (const form of TIMECODE_FORMS.split(/, | or /)) expect(section('Files')).toContain(`\`${form}\``);
  });
});
