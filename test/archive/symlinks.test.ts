import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { loadArchive, readTranscript } from '../../src/archive/index.js';
import { ArchiveStore } from '../../src/archive/store.js';
import { validate } from '../../src/cli/validate.js';
import { transcript } from '../helpers/archive.js';
import { writeConfigMap } from '../helpers/configmap.js';
import { gql, startTestServer } from '../helpers/server.js';

const SECRET = 'zebracornsecret';

let base: string;
let dir: string;
let outside: string;
beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'links-'));
  dir = path.join(base, 'data');
  outside = path.join(base, 'elsewhere');
  mkdirSync(path.join(dir, 'show'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(dir, 'show/ep1.md'), text('Show', 1, 'Inside'));
  // A valid transcript: were it read, it would load and its words would be searchable.
  writeFileSync(path.join(outside, 'secret.md'), text('Secret Show', 9, `Private ${SECRET} words`));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

function text(series: string, chunk: number, words: string): string {
  return transcript({ series, episode: 1, chunk, title: words }, [['00:00:01:00', '00:00:02:00', 'Ana', `${words}.`]]);
}

describe('symbolic links out of the data folder', () => {
  it('refuses a link to a file outside with FILE_OUTSIDE_DATA_DIR, at line 1 of the link, without reading it', async () => {
    symlinkSync(path.join(outside, 'secret.md'), path.join(dir, 'innocent.md'));
    symlinkSync('../../elsewhere/secret.md', path.join(dir, 'show/relative.md'));
    const archive = await loadArchive(dir);
    expect(archive.segments.map((s) => s.file)).toEqual(['show/ep1.md']);
    expect(archive.diagnostics.map((d) => [d.code, d.severity, d.file, d.line])).toEqual([
      ['FILE_OUTSIDE_DATA_DIR', 'error', 'innocent.md', 1],
      ['FILE_OUTSIDE_DATA_DIR', 'error', 'show/relative.md', 1],
    ]);
    expect(archive.diagnostics[0]!.message).toBe(
      'link "innocent.md" resolves outside the data folder, so it is not read',
    );
    const said = JSON.stringify(archive.diagnostics);
    expect(said).not.toContain(SECRET);
    expect(said).not.toContain('elsewhere');
    expect(archive.stats.errors).toBe(2);
  });

  it('refuses it in readTranscript too, whoever calls it', () => {
    symlinkSync(path.join(outside, 'secret.md'), path.join(dir, 'innocent.md'));
    expect(readTranscript(dir, 'innocent.md')).toMatchObject({
      ok: false,
      errors: [{ code: 'FILE_OUTSIDE_DATA_DIR', file: 'innocent.md', line: 1 }],
    });
  });

  it('is reported by npm run validate', async () => {
    symlinkSync(path.join(outside, 'secret.md'), path.join(dir, 'innocent.md'));
    const { exitCode, lines } = await validate([dir]);
    expect(exitCode).toBe(1);
    expect(lines).toContain(
      'innocent.md:1: error: link "innocent.md" resolves outside the data folder, so it is not read [FILE_OUTSIDE_DATA_DIR]',
    );
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  it('never shows the outside file in the API', async () => {
    symlinkSync(path.join(outside, 'secret.md'), path.join(dir, 'innocent.md'));
    const server = await startTestServer({ dataDir: dir });
    try {
      const answers = await Promise.all([
        gql(server.url, '{ allSeries { id title } segments(first: 100) { nodes { id title } } }'),
        gql(server.url, `{ search(query: "${SECRET}") { totalCount nodes { text } } }`),
        gql(server.url, '{ segment(id: "innocent") { title } }'),
        fetch(server.url.replace('/graphql', '/health')).then((r) => r.json()),
      ]);
      const all = JSON.stringify(answers);
      expect(all).not.toContain(SECRET);
      expect(all).not.toContain('Secret Show');
      expect(answers[1].data.search.totalCount).toBe(0);
      expect(answers[0].data.allSeries.map((s: { title: string }) => s.title)).toEqual(['Show']);
      expect(answers[3]).toMatchObject({ status: 'ok', segments: 1, errors: 1 });
    } finally {
      await server.stop();
    }
  });

  it('does not follow a link to a folder, inside or outside (the rule for folders)', async () => {
    symlinkSync(outside, path.join(dir, 'linked-out'));
    mkdirSync(path.join(base, 'data/.drafts'));
    writeFileSync(path.join(dir, '.drafts/draft.md'), text('Draft', 2, 'Draft'));
    symlinkSync('.drafts', path.join(dir, 'linked-in'));
    const archive = await loadArchive(dir);
    expect(archive.segments.map((s) => s.file)).toEqual(['show/ep1.md']);
    expect(archive.diagnostics).toEqual([]);
  });
});

describe('symbolic links that stay inside', () => {
  it('loads a link to a file elsewhere in the data folder (a hidden one included)', async () => {
    mkdirSync(path.join(dir, '.drafts'));
    writeFileSync(path.join(dir, '.drafts/ep2.md'), text('Show', 2, 'Drafted'));
    writeFileSync(path.join(dir, '.drafts/ep3.md'), text('Show', 3, 'Roundabout'));
    symlinkSync('.drafts/ep2.md', path.join(dir, 'ep2.md'));
    // Out through `..` and back in: the real path decides, not the spelling.
    symlinkSync('../../data/.drafts/ep3.md', path.join(dir, 'show/ep3.md'));
    const archive = await loadArchive(dir);
    expect(archive.diagnostics).toEqual([]);
    expect(archive.segments.map((s) => [s.file, s.title])).toEqual([
      ['show/ep1.md', 'Inside'],
      ['ep2.md', 'Drafted'],
      ['show/ep3.md', 'Roundabout'],
    ]);
  });

  it('loads a data folder that is itself reached through a link', async () => {
    symlinkSync(dir, path.join(base, 'current'));
    mkdirSync(path.join(dir, '.drafts'));
    writeFileSync(path.join(dir, '.drafts/ep2.md'), text('Show', 2, 'Drafted'));
    symlinkSync(path.join(base, 'current/.drafts/ep2.md'), path.join(dir, 'ep2.md'));
    const archive = await loadArchive(path.join(base, 'current'));
    expect(archive.diagnostics).toEqual([]);
    expect(archive.segments.map((s) => s.file)).toEqual(['show/ep1.md', 'ep2.md']);
  });
});

describe('a Kubernetes ConfigMap volume (links into ..data, itself a link to a timestamped folder)', () => {
  it('loads the files through their links, once each', async () => {
    rmSync(dir, { recursive: true });
    mkdirSync(dir);
    writeConfigMap(dir, { 'ep1.md': text('Map', 1, 'Version A'), 'ep2.md': text('Map', 2, 'Second') });
    const archive = await loadArchive(dir);
    expect(archive.diagnostics).toEqual([]);
    expect(archive.segments.map((s) => [s.file, s.title])).toEqual([
      ['ep1.md', 'Version A'],
      ['ep2.md', 'Second'],
    ]);
  });

  it('follows an atomic ..data swap to files of the same size and modification time', async () => {
    rmSync(dir, { recursive: true });
    mkdirSync(dir);
    const mtime = new Date('2024-01-01T00:00:00Z');
    writeConfigMap(dir, { 'ep1.md': text('Map', 1, 'Version A') }, { mtime });
    const store = new ArchiveStore(dir);
    expect((await store.reload()).archive.segments.map((s) => s.title)).toEqual(['Version A']);
    const before = statSync(path.join(dir, 'ep1.md'));
    writeConfigMap(dir, { 'ep1.md': text('Map', 1, 'Version B') }, { mtime });
    const after = statSync(path.join(dir, 'ep1.md'));
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
    const { archive, read } = await store.reload();
    expect(archive.segments.map((s) => s.title)).toEqual(['Version B']);
    expect(read).toBe(1);
  });
});
