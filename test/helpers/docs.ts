/**
 * Reading the docs the way the docs tests check them. The conventions (docs/README.md says them for writers):
 *
 * - a ```graphql block followed by a ```json block (only blank lines between) is an example with its answer: the
 *   query runs against the shipped data/ and must give exactly that answer; an `<!-- example: supergraph -->` line
 *   right before the query runs it through a router in front of this subgraph and examples/people instead;
 * - a `curl` command in a ```sh block is sent to a test server, and when a ```json block follows, its answer must be
 *   that JSON;
 * - `npm run validate -- ARGS` in a ```sh block followed by a ```text block must print exactly that text;
 * - a default in prose, written `` `NAME` (default `value`) `` or `` `NAME` (default on, off in production) ``, must be
 *   what the configuration table says.
 */
import { readdirSync, readFileSync } from 'node:fs';

import { repoPath } from './paths.js';

/** The page that documents configuration. */
export const CONFIGURATION_PAGE = 'docs/configuration.md';

/** Every page of the docs, relative to the repository root: the README and docs/*.md. */
export function docPages(): string[] {
  const pages = readdirSync(repoPath('docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...pages];
}

/** A page's text. */
export const readPage = (page: string): string => readFileSync(repoPath(page), 'utf8');

/**
 * The configuration table's rows: variable name -> its default cell (`| \`NAME\` | default | meaning |`).
 *
 * @example
 * configurationTable().get('PORT') // '`4001`'
 */
export function configurationTable(page = CONFIGURATION_PAGE): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readPage(page).split('\n')) {
    const m = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (m) rows.set(m[1]!, m[2]!);
  }
  return rows;
}

/** A fenced code block of a page. */
export interface Block {
  readonly page: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly text: string;
  /** The `<!-- example: NAME -->` right before the block, if any. */
  readonly marker: string | undefined;
  /** The block right after this one, when only blank lines are between them. */
  next: Block | undefined;
}

/**
 * Every fenced code block of a page, in order (fences may be indented, as in lists).
 *
 * @example
 * codeBlocks('README.md').filter((b) => b.lang === 'graphql')
 */
export function codeBlocks(page: string): Block[] {
  const lines = readPage(page).split('\n');
  const blocks: Block[] = [];
  let previousEnd = -2;
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j]!.trimEnd() !== `${indent}${fence}` && lines[j]!.trim() !== fence) {
      body.push(lines[j]!.startsWith(indent!) ? lines[j]!.slice(indent!.length) : lines[j]!);
      j++;
    }
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = before >= 0 ? /^\s*<!-- example: ([\w-]+) -->\s*$/.exec(lines[before]!)?.[1] : undefined;
    const block: Block = { page, line: i + 1, lang: lang!, text: body.join('\n'), marker, next: undefined };
    const last = blocks.at(-1);
    if (last && lines.slice(previousEnd + 1, i).every((l) => l.trim() === '')) last.next = block;
    blocks.push(block);
    previousEnd = j;
    i = j;
  }
  return blocks;
}

/** An example query of the docs, with the answer the page shows (if it shows one). */
export interface QueryExample {
  readonly where: string;
  readonly query: string;
  readonly marker: string | undefined;
  readonly answer: unknown;
}

/** The ```graphql blocks that are operations (not SDL), with their ```json answers. */
export function queryExamples(page: string): QueryExample[] {
  return codeBlocks(page)
    .filter((b) => b.lang === 'graphql' && /^\s*(#.*\n\s*)*(\{|query\b|fragment\b)/.test(b.text))
    .map((b) => ({
      where: `${b.page}:${b.line}`,
      query: b.text,
      marker: b.marker,
      answer: b.next?.lang === 'json' ? JSON.parse(b.next.text) : undefined,
    }));
}

/** A command of a ```sh block, with the block that follows the block. */
export interface ShellCommand {
  readonly where: string;
  /** The command with its continuation lines, comments dropped. */
  readonly command: string;
  /** The block right after the command's block. */
  readonly next: Block | undefined;
}

/** The commands of the ```sh blocks of a page (a trailing `\` continues a command on the next line). */
export function shellCommands(page: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  for (const block of codeBlocks(page).filter((b) => b.lang === 'sh')) {
    const lines = block.text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const start = i;
      let command = lines[i]!;
      while (command.endsWith('\\') && i + 1 < lines.length) command = `${command}\n${lines[++i]!}`;
      if (command.trim() === '' || command.trim().startsWith('#')) continue;
      commands.push({
        where: `${page}:${block.line + 1 + start}`,
        command: withoutComment(command),
        next: block.next,
      });
    }
  }
  return commands;
}

/** A command line without its trailing `# comment` (a `#` that starts a word, outside quotes). */
function withoutComment(command: string): string {
  let quote: string | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(command[i - 1]!))) return command.slice(0, i).trimEnd();
  }
  return command;
}

/** A default stated in prose: `` `NAME` (default X) ``. */
export interface ProseDefault {
  readonly where: string;
  readonly name: string;
  readonly stated: string;
}

/** Every `` `NAME` (default X) `` of a page, outside code blocks (also when wrapped over two lines). */
export function proseDefaults(page: string): ProseDefault[] {
  const prose = readPage(page)
    .replace(/^(\s*)(`{3,})\w*\n[\s\S]*?^\1\2\s*$/gm, '')
    .replace(/\s*\n\s*/g, ' ');
  return [...prose.matchAll(/`([A-Z][A-Z0-9_]+)`\s+\(default ([^)]+)\)/g)].map((m) => ({
    where: page,
    name: m[1]!,
    stated: m[2]!.trim(),
  }));
}

/**
 * A `## heading` section of a page, up to the next `## ` heading.
 *
 * @example
 * section('docs/operations.md', 'Limits')
 */
export function section(page: string, heading: string): string {
  const text = readPage(page);
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`${page} has no "## ${heading}"`);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

/** A relative link of a page: its target file (relative to the repository root) and anchor. */
export interface Link {
  readonly where: string;
  readonly text: string;
  readonly file: string;
  readonly anchor: string | undefined;
}

/** The relative links of a page (`[text](target)`, outside code), resolved against the page's folder. */
export function relativeLinks(page: string): Link[] {
  const links: Link[] = [];
  const folder = page.includes('/') ? page.slice(0, page.lastIndexOf('/') + 1) : '';
  let inCode = false;
  readPage(page)
    .split('\n')
    .forEach((line, i) => {
      if (/^\s*```/.test(line)) inCode = !inCode;
      if (inCode) return;
      const prose = line.replace(/`[^`]*`/g, '');
      for (const m of prose.matchAll(/\[([^\]]*)\]\(([^)\s]+)\)/g)) {
        const target = m[2]!;
        if (/^[a-z]+:/i.test(target)) continue;
        const [file, anchor] = target.split('#') as [string, string | undefined];
        links.push({
          where: `${page}:${i + 1}`,
          text: m[1]!,
          file: file === '' ? page : normalize(folder + file),
          anchor,
        });
      }
    });
  return links;
}

/** `docs/../src/x.ts` -> `src/x.ts`; a trailing `/` dropped. */
function normalize(target: string): string {
  const parts: string[] = [];
  for (const part of target.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.' && part !== '') parts.push(part);
  }
  return parts.join('/');
}

/**
 * The anchors GitHub makes of a page's headings: lower case, punctuation other than `-` and `_` dropped, spaces as
 * `-`; a repeated heading gets `-1`, `-2`, ...
 *
 * @example
 * headingAnchors('docs/operations.md').has('probes-and-health') // true
 */
export function headingAnchors(page: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inCode = false;
  for (const line of readPage(page).split('\n')) {
    if (/^\s*```/.test(line)) inCode = !inCode;
    const m = !inCode && /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}
