import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { repoPath } from './paths.js';

export interface Corpus {
  readonly dir: string;
  cleanup(): void;
}

/**
 * A folder this project has never seen: the shipped transcript plus test/fixtures/archive (several series
 * and episodes, shared speakers, diacritics, CRLF and BOM, `.txt` and `.MD`, nested and hidden folders,
 * another fps, drop-frame). With `broken`, every invalid fixture is added under `broken/`.
 */
export function makeCorpus(options: { broken?: boolean } = {}): Corpus {
  const dir = mkdtempSync(path.join(tmpdir(), 'transcripts-'));
  cpSync(repoPath('data'), dir, { recursive: true });
  cpSync(repoPath('test/fixtures/archive'), dir, { recursive: true });
  if (options.broken) cpSync(repoPath('test/fixtures/invalid'), path.join(dir, 'broken'), { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
