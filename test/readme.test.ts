import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { repoPath } from './helpers/paths.js';

describe('README', () => {
  const readme = readFileSync(repoPath('README.md'), 'utf8');

  it('gives the two quick-start commands that CI runs', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm install-ci-test');
    expect(readFileSync(repoPath('.ci/run'), 'utf8')).toMatch(/^npm install-ci-test$/m);
  });

  it('stays a few screens long: the rest is in docs/', () => {
    // The first query, its answer, the curl example and the links to docs/ are checked in test/docs/.
    expect(readme.split('\n').length).toBeLessThanOrEqual(180);
  });
});
