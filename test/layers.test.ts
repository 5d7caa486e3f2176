/**
 * The layer rules (.dependency-cruiser.cjs, run by `npm run deps` in `npm test`) catch what they are for: a tree
 * with a cycle, a layer imported backwards (the parser's, the PostgreSQL archive's), a module reaching past the
 * parser's public entry, and the file system used outside its module, each gets its error.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { repoPath } from './helpers/paths.js';

describe('the layer rules', () => {
  it('refuse cycles, backward imports, private parser modules and stray file-system access', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'layers-'));
    try {
      const file = (name: string, text: string) => {
        mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        writeFileSync(path.join(dir, name), text);
      };
      file('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
      file('src/parser/index.ts', "export { scan } from './scan.js';\n");
      file('src/parser/scan.ts', "import { record } from '../archive/index.js';\nexport const scan = () => record;\n");
      file('src/archive/index.ts', "import { scan } from '../parser/scan.js';\nexport const record = scan;\n");
      file('src/search/index.ts', "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n");
      file('src/resolvers/index.ts', 'export const resolvers = {};\n');
      file('src/pg/sync.ts', "import { resolvers } from '../resolvers/index.js';\nexport const sync = resolvers;\n");
      // JSON output exits 0 whatever it found; the violations are in its summary.
      const out = execFileSync(
        process.execPath,
        [
          repoPath('node_modules/dependency-cruiser/bin/dependency-cruise.mjs'),
          'src',
          '--config',
          repoPath('.dependency-cruiser.cjs'),
          '--output-type',
          'json',
        ],
        { cwd: dir, encoding: 'utf8' },
      );
      const rules = new Set(
        (JSON.parse(out) as { summary: { violations: { rule: { name: string } }[] } }).summary.violations.map(
          (v) => v.rule.name,
        ),
      );
      expect([...rules].sort()).toEqual([
        'layer-parser',
        'layer-pg',
        'no-cycles',
        'one-file-system-module',
        'parser-public-entry',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
