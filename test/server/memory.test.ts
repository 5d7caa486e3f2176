/**
 * Every cache is bounded by the bytes it holds, and counts them honestly: what each one accounts for is measured
 * against the heap it really holds (in a child process with --expose-gc). And a server fed a stream of distinct
 * heavy operations stays within twice the memory of the same server with planning and caches off.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

import { describe, expect, it } from 'vitest';

import { repoPath } from '../helpers/paths.js';
import { heavyOperation } from './heavy.js';

describe('caches count what they hold', () => {
  const probe = JSON.parse(
    execFileSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', repoPath('test/server/memory-probe.ts'), repoPath('data')],
      {
        cwd: repoPath('.'),
        encoding: 'utf8',
      },
    ),
  ) as Record<string, { accounted: number; measured: number; entries: number }>;

  it.each(['documents', 'plans', 'responses', 'views'])('%s: the bound counts at least what is held', (name) => {
    const { accounted, measured } = probe[name]!;
    expect(measured).toBeGreaterThan(0);
    // An upper bound, within the noise of a measurement after GC; and not so loose it means nothing.
    expect(measured).toBeLessThanOrEqual(accounted * 1.15);
    expect(measured).toBeGreaterThanOrEqual(accounted * 0.3);
  });
});

/** Resident memory of a process, in bytes (Linux). */
const rss = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', repoPath('src/server/main.ts')], {
    cwd: repoPath('.'),
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: 'data',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { url?: string };
      if (entry.url) resolve(entry.url);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
  return { child, url };
}

describe('memory under a stream of distinct heavy operations', () => {
  it('stays within twice that of the same server with planning and caches off', async () => {
    const on = await startServer({ LOG_LEVEL: 'info' });
    const off = await startServer({
      LOG_LEVEL: 'info',
      PLANNED_EXECUTION: '0',
      RESPONSE_CACHE_MAX_BYTES: '0',
      ENTITY_VIEWS_MAX_BYTES: '0',
      DOCUMENT_CACHE_MAX_BYTES: '0',
    });
    try {
      const turns = Array.from({ length: 17 }, (_, n) => `ep03-06-cosmo-boring-tech-architecture#${n + 1}`);
      // Two kinds, alternating: near the token limit (documents and plans), and answers with data (responses, views).
      const operation = (i: number) => (i % 2 ? heavyOperation(i, ['a#1', 'b#2']) : heavyOperation(i, turns, 100));
      const send = async (url: string, i: number) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: operation(i) }),
        });
        expect(response.status, `answer to operation ${i}`).toBe(200);
        await response.arrayBuffer();
      };
      const peak = { on: 0, off: 0 };
      // Each operation twice (the second is planned, or answered from the cache), four requests at a time.
      for (let i = 0; i < 400; i += 4) {
        await Promise.all(
          [0, 1, 2, 3]
            .flatMap((k) => [send(on.url, i + k), send(off.url, i + k)])
            .concat([0, 1, 2, 3].flatMap((k) => [send(on.url, i + k), send(off.url, i + k)])),
        );
        peak.on = Math.max(peak.on, rss(on.child.pid!));
        peak.off = Math.max(peak.off, rss(off.child.pid!));
      }
      expect(peak.on, `peak RSS with caches ${peak.on}, without ${peak.off}`).toBeLessThanOrEqual(2 * peak.off);
    } finally {
      on.child.kill('SIGKILL');
      off.child.kill('SIGKILL');
    }
  }, 120_000);
});
