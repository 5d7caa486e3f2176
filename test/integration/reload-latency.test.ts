/**
 * A reload shares the event loop with requests: while a server rebuilds an archive of a few thousand files (after one
 * byte changed in one of them), `/health` keeps answering quickly. Sampled from another process, so the server's
 * event loop is measured, not the test's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateCorpus } from '../../bench/generate-corpus.js';
import { listTranscriptFiles } from '../../src/archive/index.js';
import { repoPath } from '../helpers/paths.js';

let dir: string;
let child: ChildProcess;
let base: string;
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'reload-latency-'));
  // ~3,000 files, ~19 MB.
  generateCorpus({ out: dir, episodes: 215, seed: 5 });
  child = spawn(process.execPath, ['--import', 'tsx', repoPath('src/server/main.ts')], {
    cwd: repoPath('.'),
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, WATCH: '1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  base = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (typeof entry.url === 'string') resolve(entry.url.replace(/\/graphql$/, ''));
    });
  });
}, 120_000);

afterAll(() => {
  child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('a reload of a few thousand files', () => {
  it('keeps /health answering in well under 250 ms throughout', async () => {
    const files = await listTranscriptFiles(dir);
    expect(files.length).toBeGreaterThan(2500);
    const reloads = () => logs.filter((l) => l.event === 'reload').length;
    const before = reloads();
    appendFileSync(path.join(dir, files[17]!), ' ');
    const latencies: number[] = [];
    const deadline = Date.now() + 60_000;
    while (reloads() === before && Date.now() < deadline) {
      const started = performance.now();
      const response = await fetch(`${base}/health`);
      await response.json();
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(reloads()).toBe(before + 1);
    const reload = logs.filter((l) => l.event === 'reload').at(-1)!;
    // The reload is long enough that one blocking build would have held /health far past the bound.
    expect(reload.ms as number).toBeGreaterThan(300);
    expect(latencies.length).toBeGreaterThan(10);
    expect(Math.max(...latencies)).toBeLessThan(250);
  }, 120_000);
});
