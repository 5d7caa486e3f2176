import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { diagnosticCodes, severityOf } from '../src/parser/index.js';
import { repoPath } from './helpers/paths.js';

describe('README', () => {
  const readme = readFileSync(repoPath('README.md'), 'utf8');

  it('documents every diagnostic code with its severity', () => {
    for (const code of diagnosticCodes) {
      expect(readme).toMatch(new RegExp(`\\| \`${code}\`\\s*\\| ${severityOf(code)}\\s*\\|`));
    }
  });

  it('gives the two quick-start commands that CI runs', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm install-ci-test');
    expect(readFileSync(repoPath('.ci/run'), 'utf8')).toMatch(/^npm install-ci-test$/m);
  });
});
