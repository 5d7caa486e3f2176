import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { validate } from '../../src/cli/validate.js';
import { makeCorpus, type Corpus } from '../helpers/corpus.js';
import { repoPath } from '../helpers/paths.js';

let good: Corpus;
let broken: Corpus;
beforeAll(() => {
  good = makeCorpus();
  broken = makeCorpus({ broken: true });
});
afterAll(() => {
  good.cleanup();
  broken.cleanup();
});

describe('npm run validate', () => {
  it('exits 0 on a clean folder and prints a summary', async () => {
    const result = await validate([good.dir]);
    expect(result).toEqual({
      exitCode: 0,
      lines: [
        '6 files: 6 loaded, 0 rejected; 0 errors, 0 warnings; 3 series, 4 episodes, 6 segments, 28 turns, 6 speakers',
      ],
    });
  });

  it('names each broken file as path:line: severity: message [CODE], and exits 1', async () => {
    const { exitCode, lines } = await validate([broken.dir]);
    expect(exitCode).toBe(1);
    expect(lines).toContain(
      'broken/key-type.md:3: error: front-matter key "episode" must be a whole number >= 0, got number -1 [KEY_TYPE]',
    );
    expect(lines).toContain(
      'broken/unknown-key.md:5: warning: front-matter key "guest_star" is not known and is ignored [UNKNOWN_KEY]',
    );
    for (const line of lines.slice(0, -1))
      expect(line).toMatch(/^broken\/\S+:\d+: (error|warning): .+ \[[A-Z0-9_]+\]$/);
    const named = new Set(lines.filter((l) => l.includes(': error: ')).map((l) => l.split(':')[0]));
    expect(named.size).toBe(21);
    expect(lines.at(-1)).toBe(
      '36 files: 15 loaded, 21 rejected; 23 errors, 6 warnings; 4 series, 5 episodes, 15 segments, 46 turns, 8 speakers',
    );
  });

  it('fails on warnings only with --strict', async () => {
    const warned = makeCorpus();
    try {
      const { cpSync } = await import('node:fs');
      cpSync(repoPath('test/fixtures/invalid/unknown-key.md'), `${warned.dir}/unknown-key.md`);
      expect((await validate([warned.dir])).exitCode).toBe(0);
      expect((await validate(['--strict', warned.dir])).exitCode).toBe(1);
    } finally {
      warned.cleanup();
    }
  });

  it('exits 2 on bad usage or a folder that does not exist', async () => {
    expect((await validate(['--nope'])).exitCode).toBe(2);
    expect((await validate(['a', 'b'])).exitCode).toBe(2);
    const missing = await validate([repoPath('no-such-folder')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.lines[0]).toMatch(/^cannot read .*no-such-folder: ENOENT/);
  });

  it('runs as a command: prints diagnostics and sets the exit code', async () => {
    const run = promisify(execFile);
    const tsx = repoPath('node_modules/.bin/tsx');
    const failure = await run(tsx, [repoPath('src/cli/validate.ts'), broken.dir]).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 1, stdout: expect.stringContaining('[FRONT_MATTER_MISSING]') });
    const success = await run(tsx, [repoPath('src/cli/validate.ts'), good.dir]);
    expect(success.stdout).toMatch(/^6 files: 6 loaded/);
  });
});
