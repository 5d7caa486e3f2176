import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

import { describe, expect, it } from 'vitest';

import { repoPath } from '../helpers/paths.js';

describe('the server process (src/server/main.ts)', () => {
  it('starts on the shipped data, logs JSON lines, answers, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', repoPath('src/server/main.ts')], {
      cwd: repoPath('.'),
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: 'data', LOG_LEVEL: 'info', NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const logs: Record<string, unknown>[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (typeof entry.url === 'string') resolve(entry.url);
      });
      void exited.then((code) => reject(new Error(`exited early with ${code}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(logs.find((l) => l.msg === 'loaded 1 segments from 1 files')).toMatchObject({ turns: 17, errors: 0 });

    const health = await fetch(url.replace('/graphql', '/health'));
    expect(await health.json()).toMatchObject({ status: 'ok', segments: 1, turns: 17, speakers: 2 });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
