/**
 * The docs hang together: every relative link of the README and docs/*.md leads to a file that exists (and, for a
 * `#heading` link into a page, to a heading of that page), and the README and the docs index link every page.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { docPages, headingAnchors, readPage, relativeLinks } from '../helpers/docs.js';
import { repoPath } from '../helpers/paths.js';

const pages = docPages();
const links = pages.flatMap(relativeLinks);

describe('links between the docs', () => {
  it('there are some in every page but the generated one', () => {
    for (const page of pages.filter((p) => p !== 'docs/benchmarks.md')) {
      expect(
        links.some((l) => l.where.startsWith(`${page}:`)),
        page,
      ).toBe(true);
    }
  });

  it.each(links.map((l) => [`${l.where} ${l.text || l.file}`, l] as const))('%s resolves', (_name, link) => {
    expect(existsSync(repoPath(link.file)), `${link.file} exists`).toBe(true);
    if (link.anchor !== undefined) {
      expect(link.file.endsWith('.md'), `${link.file}#${link.anchor} points into a page`).toBe(true);
      expect([...headingAnchors(link.file)], `${link.file} has a heading #${link.anchor}`).toContain(link.anchor);
    }
  });

  it('the README and docs/README.md link every page of docs/', () => {
    for (const index of ['README.md', 'docs/README.md']) {
      const targets = new Set(relativeLinks(index).map((l) => l.file));
      for (const page of pages.filter((p) => p.startsWith('docs/') && p !== 'docs/README.md')) {
        expect(targets.has(page), `${index} links ${page}`).toBe(true);
      }
    }
  });

  it('reads anchors as GitHub makes them', () => {
    // Guards the helper itself: a link test that accepted anything would pass every page.
    expect(headingAnchors('docs/operations.md')).toContain('probes-and-health');
    expect(headingAnchors('docs/architecture.md')).toContain('the-_entities-fast-path');
    expect(headingAnchors('docs/transcript-format.md')).toContain('checking-a-folder-npm-run-validate');
    expect(headingAnchors('docs/operations.md')).not.toContain('probes');
  });
});

describe('files the docs name', () => {
  /** Paths in the repository written anywhere in the docs (prose or code), e.g. `src/server/app.ts`. */
  const named = pages.flatMap((page) =>
    [...readPage(page).matchAll(/(?<![\w./-])((?:src|test|bench|deploy|federation|examples|schema|\.ci)\/[\w./-]*\w)/g)]
      .map((m) => m[1]!)
      // Written by `npm run bench`, not kept in git.
      .filter((p) => p !== 'bench/results.json')
      .map((p) => [page, p] as const),
  );

  it.each(named)('%s: %s exists', (_page, path) => {
    expect(existsSync(repoPath(path))).toBe(true);
  });

  it('the pages that sources point to for the why exist, with their headings', () => {
    const sources = execFileSync('git', ['ls-files', 'src', 'bench', 'test'], { cwd: repoPath(''), encoding: 'utf8' })
      .split('\n')
      .filter((f) => f.endsWith('.ts'));
    const pointers = sources.flatMap((file) =>
      [...readFileSync(repoPath(file), 'utf8').matchAll(/\b(docs\/[\w-]+\.md)(?:#([\w-]+))?/g)].map(
        (m) => [file, m[1]!, m[2]] as const,
      ),
    );
    expect(pointers.length).toBeGreaterThanOrEqual(4);
    for (const [file, page, anchor] of pointers) {
      expect(existsSync(repoPath(page)), `${file} points to ${page}`).toBe(true);
      if (anchor) expect([...headingAnchors(page)], `${file} points to ${page}#${anchor}`).toContain(anchor);
    }
  });

  it('the request pipeline of the architecture page: each stage where it says, in the order the code runs them', async () => {
    const block = /## The request pipeline\n\n```text\n([\s\S]*?)```/.exec(readPage('docs/architecture.md'))![1]!;
    const stages = [...block.matchAll(/^\s*(src\/\S+\.ts)\s+(?:(\w+): )?/gm)].map((m) => [m[1]!, m[2]] as const);
    expect(stages.length).toBe(8);
    for (const [file, fn] of stages) {
      if (!fn) continue;
      const module = (await import(`../../${file}`)) as Record<string, unknown>;
      expect(typeof module[fn], `${file} exports ${fn}`).toBe('function');
    }
    const pipeline = readFileSync(repoPath('src/server/pipeline/graphql.ts'), 'utf8');
    const calls = [
      'readBody(',
      'pipeline.cache!.get(',
      'parseBody(',
      'pipeline.planned!.answer(',
      'checkTokens(',
      'runApollo(',
    ];
    const positions = calls.map((call) => pipeline.indexOf(call));
    expect(
      positions.every((p) => p > 0),
      'graphql.ts makes each call',
    ).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});
