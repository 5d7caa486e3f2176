/**
 * The configuration table in the docs is the code's: every variable `readConfig` reads has a row, and each row's
 * default is what `readConfig({})` gives (found by setting the variable and seeing which setting moves).
 */
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { readConfig, type Config } from '../../src/server/config.js';
import { configurationTable } from '../helpers/docs.js';

/** Every variable readConfig looks at. */
function variablesRead(): Set<string> {
  const names = new Set<string>();
  readConfig(new Proxy({}, { get: (_t, name) => (typeof name === 'string' && names.add(name), undefined) }));
  return names;
}

/** Flattens a config into dotted paths, so `limits.maxCost` is one entry. */
function flat(value: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) for (const [p, x] of flat(v, `${prefix}${k}.`)) out.set(p, x);
  } else out.set(prefix.slice(0, -1), value);
  return out;
}

const PROBES = [
  '7',
  '1031',
  '65537',
  'on',
  'off',
  'debug',
  '/tmp/probe',
  '127.0.0.9',
  'http://127.0.0.1:4318',
  'http/json',
  'always_off',
  '0.5',
  'postgres://probe@127.0.0.1:5432/probe',
];

/** The settings a variable controls: those that change when it is set (to the first value it accepts). */
function settingsOf(name: string): string[] {
  const base = flat(readConfig({}));
  for (const probe of PROBES) {
    let config: Config;
    try {
      config = readConfig({ [name]: probe });
    } catch {
      continue;
    }
    const changed = [...flat(config)].filter(([k, v]) => base.get(k) !== v).map(([k]) => k);
    if (changed.length > 0) return changed;
  }
  return [];
}

describe('configuration table', () => {
  const rows = configurationTable();
  const read = variablesRead();

  it('documents every variable readConfig reads', () => {
    for (const name of read) expect(rows.has(name), `${name} has a row`).toBe(true);
  });

  it.each([...read].filter((n) => n !== 'NODE_ENV'))('%s: the documented default is the code default', (name) => {
    const cell = rows.get(name)!;
    const settings = settingsOf(name);
    expect(settings.length, `${name} changes a setting`).toBeGreaterThan(0);
    const defaults = flat(readConfig({}));
    const production = flat(readConfig({ NODE_ENV: 'production' }));
    for (const setting of settings) {
      const value = defaults.get(setting);
      const literal = /^`([^`]*)`/.exec(cell)?.[1];
      if (typeof value === 'number') {
        expect(Number(literal), `${name}: ${cell}`).toBe(value);
      } else if (typeof value === 'boolean') {
        expect(cell.startsWith(value ? 'on' : 'off'), `${name}: ${cell}`).toBe(true);
        const inProduction = production.get(setting);
        if (inProduction !== value)
          expect(cell, name).toMatch(new RegExp(`${inProduction ? 'on' : 'off'} in production`));
      } else if (typeof value === 'string') {
        // Paths are documented relative to the working directory.
        const shown = value.startsWith('/') ? `./${path.relative(process.cwd(), value)}` : value;
        expect(literal, `${name}: ${cell}`).toBe(shown);
      } else {
        expect(value).toBeUndefined();
        expect(cell, `${name}: ${cell}`).not.toMatch(/^`/);
      }
    }
  });
});
