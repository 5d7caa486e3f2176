import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';

import { describe, expect, it } from 'vitest';

import { repoPath } from '../helpers/paths.js';

/** Starts src/server/main.ts on the shipped data and waits for its "ready" log line. */
async function startMain(): Promise<{
  child: ChildProcess;
  url: string;
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
}> {
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
  return { child, url, logs, exited };
}

describe('the server process (src/server/main.ts)', () => {
  it('starts on the shipped data, logs JSON lines, answers, and exits 0 on SIGTERM', async () => {
    const { child, url, logs, exited } = await startMain();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(logs.find((l) => l.msg === 'loaded 1 segments from 1 files')).toMatchObject({ turns: 17, errors: 0 });

    const health = await fetch(url.replace('/graphql', '/health'));
    expect(await health.json()).toMatchObject({ status: 'ok', segments: 1, turns: 17, speakers: 2 });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM, finishes a request in flight, then exits 0', async () => {
    const { child, url, logs, exited } = await startMain();
    const { port } = new URL(url);
    const body = JSON.stringify({ query: '{ speaker(id: "dustin") { name turnCount } }' });
    // Send the headers and half the body, so the request is in flight when SIGTERM arrives.
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let response = '';
    socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.write(body.slice(10));
    await new Promise((resolve) => socket.once('close', resolve));
    expect(response).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(response).toContain('{"data":{"speaker":{"name":"Dustin","turnCount":8}}}');
    expect(await exited).toBe(0);
    expect(logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('shutting down'))).toBe(true);
  });
});
