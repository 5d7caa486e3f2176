/**
 * Front matter: find the `---` block, parse its YAML safely through gray-matter, and keep enough of the
 * source to point diagnostics at lines (gray-matter reports none).
 */
import matter from 'gray-matter';
import yaml from 'js-yaml';

import { diagnostic, type Diagnostic } from './diagnostics.js';

/** The front matter of one file, parsed. */
export interface FrontMatter {
  /** The YAML mapping. */
  readonly data: Readonly<Record<string, unknown>>;
  /** 1-based line of each top-level key, where it could be found. */
  readonly keyLines: ReadonlyMap<string, number>;
  /** The raw text after `key:` on its line, for keys that must be read as written. */
  readonly rawValues: ReadonlyMap<string, string>;
  /** 1-based line of the opening `---`. */
  readonly openLine: number;
  /** 0-based index into the file's lines of the first body line. */
  readonly bodyStart: number;
}

export type FrontMatterResult = { ok: true; value: FrontMatter } | { ok: false; error: Diagnostic };

const refuse = (language: string) => () => {
  throw new Error(`front matter language "${language}" is not supported`);
};

/*
 * gray-matter ships engines that `eval` `---js` and `---coffee` front matter; an options object alone
 * does not remove them, so each is replaced by one that refuses. YAML goes through js-yaml 4's core schema:
 * YAML 1.2 semantics (no base-60 integers, no dates), no custom tags, duplicate keys rejected. Passing any
 * options object also keeps gray-matter's unbounded content cache off.
 */
const matterOptions = {
  language: 'yaml',
  engines: {
    yaml: (text: string) => yaml.load(text, { schema: yaml.CORE_SCHEMA }) as object,
    js: refuse('js'),
    javascript: refuse('javascript'),
    coffee: refuse('coffee'),
    coffeescript: refuse('coffeescript'),
    cson: refuse('cson'),
  },
};

const OPEN = /^---([^-\s]\S*)?\s*$/;
const CLOSE = /^(?:---|\.\.\.)\s*$/;
const TOP_LEVEL_KEY = /^(?:"([^"]+)"|'([^']+)'|([^\s#'"{[\]}:,?&*!|>%@`-][^:#]*?))\s*:(?:\s+(.*))?$/;

/**
 * Finds and parses the front matter at the top of `lines` (the file split on `\n`).
 *
 * @example
 * parseFrontMatter(['---', 'series: Show', '---', 'body'], 'a.md')
 * // { ok: true, value: { data: { series: 'Show' }, keyLines: Map { 'series' => 2 }, bodyStart: 3, ... } }
 */
export function parseFrontMatter(lines: readonly string[], file: string): FrontMatterResult {
  const open = OPEN.exec(lines[0] ?? '');
  if (!open) return { ok: false, error: diagnostic('FRONT_MATTER_MISSING', file, 1) };
  const language = open[1];
  if (language !== undefined && !/^ya?ml$/i.test(language)) {
    return { ok: false, error: diagnostic('FRONT_MATTER_LANGUAGE', file, 1, language) };
  }
  let close = -1;
  for (let i = 1; i < lines.length; i++) {
    if (CLOSE.test(lines[i]!)) {
      close = i;
      break;
    }
  }
  if (close === -1) return { ok: false, error: diagnostic('FRONT_MATTER_UNCLOSED', file, 1) };

  // gray-matter gets exactly the block we found, so its idea of where the block ends cannot differ from ours.
  const block = ['---', ...lines.slice(1, close), '---', ''].join('\n');
  let data: unknown;
  try {
    data = matter(block, matterOptions).data;
  } catch (error) {
    return { ok: false, error: yamlError(error, file) };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, error: diagnostic('FRONT_MATTER_NOT_MAPPING', file, 2) };
  }

  const keyLines = new Map<string, number>();
  const rawValues = new Map<string, string>();
  for (let i = 1; i < close; i++) {
    const m = TOP_LEVEL_KEY.exec(lines[i]!);
    if (!m) continue;
    const key = (m[1] ?? m[2] ?? m[3])!;
    if (keyLines.has(key)) continue;
    keyLines.set(key, i + 1);
    if (m[4] !== undefined) rawValues.set(key, unquote(stripComment(m[4])));
  }
  return {
    ok: true,
    value: { data: data as Record<string, unknown>, keyLines, rawValues, openLine: 1, bodyStart: close + 1 },
  };
}

function yamlError(error: unknown, file: string): Diagnostic {
  if (error instanceof yaml.YAMLException) {
    // gray-matter hands js-yaml the text right after the opening "---", so js-yaml's 0-based line is the file's 1-based line.
    const line = (error.mark?.line ?? 0) + 1;
    return diagnostic('YAML_SYNTAX', file, Math.max(line, 2), error.reason || error.message);
  }
  const message = error instanceof Error ? error.message : String(error);
  return diagnostic('YAML_SYNTAX', file, 2, message);
}

function stripComment(value: string): string {
  const hash = value.search(/\s#/);
  return (hash === -1 ? value : value.slice(0, hash)).trim();
}

function unquote(value: string): string {
  const m = /^(["'])(.*)\1$/.exec(value);
  return m ? m[2]! : value;
}

/** js-yaml's core schema resolves plain scalars by these, in this order (YAML 1.2: null, bool, int, float). */
// js-yaml exports its types at run time; its type definitions leave them out.
const { types } = yaml as unknown as { types: Record<'null' | 'bool' | 'int' | 'float', yaml.Type> };
const IMPLICIT = [types.null, types.bool, types.int, types.float];
const FAST_KEY = /^([a-z_][a-z0-9_]*):(?: +(.*))?$/;
const ITEM = /^( *)- +(.*)$/;

/**
 * A plain scalar as js-yaml reads it, or undefined when it is not one this reader takes (it then leaves the
 * whole front matter to js-yaml): no leading indicator, no `: `, ` #`, tab or trailing `:`.
 */
function plainScalar(text: string): unknown {
  const value = text.replace(/ +$/, '');
  if (value === '' || /^[-?:,[\]{}#&*!|>'"%@`\s]/.test(value)) return undefined;
  if (value.includes(': ') || value.includes(' #') || value.includes('\t') || value.endsWith(':')) return undefined;
  for (const type of IMPLICIT) if (type.resolve(value)) return type.construct(value) as unknown;
  return value;
}

/**
 * The front matter of the common shape, read without gray-matter and js-yaml's parser: top-level `key: value` lines
 * (plain scalars, folded over indented continuation lines) and `key:` with a block sequence of plain scalars under
 * it. Plain scalars get their types from js-yaml's own resolvers, so values are exactly what js-yaml makes of them.
 * Anything else (quotes, comments, blank lines, flow collections, nesting, duplicate keys, ...) returns null and the
 * caller uses `parseFrontMatter`. `lines` are the file's lines; line 0 is the opening `---`, `close` the closing one.
 * (Why: js-yaml and gray-matter took a third of ingest; docs/architecture.md#the-compact-archive.)
 *
 * @example
 * readFrontMatterFast(['---', 'series: Show', 'episode: 1', '---'], 3) // { data: { series: 'Show', episode: 1 }, ... }
 */
export function readFrontMatterFast(lines: readonly string[], close: number): FrontMatter | null {
  const data: Record<string, unknown> = {};
  const keyLines = new Map<string, number>();
  const rawValues = new Map<string, string>();
  let i = 1;
  while (i < close) {
    const m = FAST_KEY.exec(lines[i]!);
    if (!m) return null;
    const key = m[1]!;
    if (key === '__proto__' || Object.hasOwn(data, key)) return null;
    keyLines.set(key, i + 1);
    const rest = m[2];
    i++;
    if (rest === undefined || rest === '') {
      // A block sequence of plain scalars, or nothing (null).
      const items: unknown[] = [];
      let indent = -1;
      while (i < close) {
        const item = ITEM.exec(lines[i]!);
        if (!item) break;
        if (indent === -1) indent = item[1]!.length;
        else if (item[1]!.length !== indent) return null;
        const value = plainScalar(item[2]!);
        if (value === undefined) return null;
        items.push(value);
        i++;
        // A continuation of an item, or anything indented deeper: not this reader's.
        if (i < close && /^ /.test(lines[i]!) && !ITEM.test(lines[i]!)) return null;
      }
      data[key] = items.length > 0 ? items : null;
      if (rest === '') rawValues.set(key, '');
      continue;
    }
    // A plain scalar, folded over indented continuation lines.
    let text = rest.replace(/ +$/, '');
    let folded = false;
    while (i < close && /^ +\S/.test(lines[i]!)) {
      const next = lines[i]!.trim();
      if (plainScalar(next) === undefined || next.startsWith('- ')) return null;
      text += ` ${next}`;
      folded = true;
      i++;
    }
    const value = plainScalar(text);
    if (value === undefined) return null;
    // A folded scalar is a string whatever it looks like (js-yaml resolves types on the whole text too; keep it
    // simple and refuse the rare folded text that could resolve to something else).
    if (folded && typeof value !== 'string') return null;
    data[key] = value;
    rawValues.set(key, rest.replace(/ +$/, ''));
  }
  return { data, keyLines, rawValues, openLine: 1, bodyStart: close + 1 };
}
