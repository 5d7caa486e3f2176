/**
 * Shutdown as an orchestrator does it: SIGTERM while a multi-megabyte answer is being read slowly, an idle
 * keep-alive connection and a busy one open. The answer arrives whole, later answers close their connections, the
 * process exits 0 within the grace, and its last log line says how many requests were drained. `npm start` passes
 * the signal on, so the port is freed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { repoPath } from '../helpers/paths.js';

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'shutdown-'));
  mkdirSync(path.join(dataDir, 'show'));
  // One long episode: 3,000 turns of ~330 characters, ~1.3 MB of text.
  const tc = (s: number) =>
    `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}:00`;
  const turns = Array.from(
    { length: 3000 },
    (_, i) => `${tc(i * 2)} - ${tc(i * 2 + 1)}\n${i % 2 ? 'Ana' : 'Bo'}\n${`word${i} `.repeat(40).trim()}\n`,
  );
  writeFileSync(
    path.join(dataDir, 'show', 'long.md'),
    `---\nseries: Show\nepisode: 1\nchunk: 1\n---\n\n${turns.join('\n')}`,
  );
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Started {
  readonly child: ChildProcess;
  readonly port: number;
  readonly logs: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
}

/** Starts a command that runs the server, and waits for the log line naming its URL. */
async function start(command: string, args: string[], env: Record<string, string>): Promise<Started> {
  const child = spawn(command, args, {
    cwd: repoPath('.'),
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logs: Record<string, unknown>[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return; // npm's own header lines
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (typeof entry.url === 'string') resolve(Number(new URL(entry.url).port));
    });
    void exited.then((code) => reject(new Error(`exited early with ${code}`)));
  });
  return { child, port, logs, exited };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

const request = (body: string, keepAlive = true): string =>
  `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
  `Connection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n${body}`;

const closed = (socket: net.Socket): Promise<void> =>
  socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));

async function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('shutdown', () => {
  it('writes a multi-megabyte answer in flight out whole to a slow reader, closes keep-alive connections, and logs what it drained', async () => {
    const server = await start(process.execPath, ['--import', 'tsx', repoPath('src/server/main.ts')], {
      NODE_ENV: 'production',
      SHUTDOWN_GRACE_MS: '20000',
      RESPONSE_CACHE_MAX_BYTES: '0',
    });
    try {
      // 8 renderings of the whole episode as JSON: ~10 MB.
      const big = JSON.stringify({
        query: `{ ${Array.from({ length: 8 }, (_, i) => `t${i}: episode(id: "show-ep1") { transcript(format: JSON) }`).join(' ')} }`,
      });
      const slow = await connect(server.port);
      const chunks: Buffer[] = [];
      slow.on('data', (chunk: Buffer) => chunks.push(chunk));
      slow.write(request(big, false));
      // Read the first bytes, then stop reading: the rest waits in buffers while SIGTERM arrives.
      await new Promise<void>((resolve) => slow.once('data', () => resolve()));
      slow.pause();

      const idle = await connect(server.port);
      // A request half sent when SIGTERM arrives: it is answered, and told the connection closes.
      const busy = await connect(server.port);
      let busyAnswer = '';
      busy.on('data', (chunk: Buffer) => (busyAnswer += chunk.toString('latin1')));
      const small = request(JSON.stringify({ query: '{ allSeries { id } }' }));
      busy.write(small.slice(0, small.length - 5));
      await new Promise((resolve) => setTimeout(resolve, 100));

      server.child.kill('SIGTERM');
      // An idle keep-alive connection is closed; no new connection is accepted.
      await closed(idle);
      expect(await isListening(server.port)).toBe(false);
      busy.write(small.slice(small.length - 5));
      await closed(busy);
      expect(busyAnswer).toMatch(/^HTTP\/1\.1 200/);
      expect(busyAnswer.toLowerCase()).toContain('connection: close');
      expect(busyAnswer).toContain('{"data":{"allSeries":[{"id":"show"}]}}');

      // Now read the big answer, slowly, to its end.
      const done = closed(slow);
      slow.resume();
      await done;
      const whole = Buffer.concat(chunks);
      const split = whole.indexOf('\r\n\r\n');
      const head = whole.subarray(0, split).toString('latin1');
      const body = whole.subarray(split + 4);
      expect(head).toMatch(/^HTTP\/1\.1 200/);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
      expect(length).toBeGreaterThan(8 * 1024 * 1024);
      expect(body.length).toBe(length);
      const data = JSON.parse(body.toString('utf8')) as { data: Record<string, string> };
      expect(Object.keys(data.data)).toHaveLength(8);

      expect(await server.exited).toBe(0);
      const last = server.logs.at(-1)!;
      expect(last.msg).toMatch(/^stopped/);
      expect(last).toMatchObject({ abandoned: 0 });
      expect(last.drained).toBeGreaterThanOrEqual(2);
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 60_000);

  it('npm start passes SIGTERM on to the server, which frees its port', async () => {
    const server = await start('npm', ['start'], { NODE_ENV: 'production', npm_config_update_notifier: 'false' });
    try {
      const health = await fetch(`http://127.0.0.1:${server.port}/health`);
      expect(health.status).toBe(200);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect(server.logs.at(-1)?.msg).toMatch(/^stopped/);
      expect(await isListening(server.port)).toBe(false);
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 90_000);
});
