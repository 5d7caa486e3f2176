import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

import { describe, expect, it } from 'vitest';

import { startOtlpReceiver } from '../helpers/otlp.js';
import { repoPath } from '../helpers/paths.js';

/** Runs src/server/main.ts with `env` until its "ready" line; then `stop()` sends SIGTERM and waits for the exit. */
async function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', repoPath('src/server/main.ts')], {
    cwd: repoPath('.'),
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: 'data',
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stdout: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout.push(line);
      const entry = JSON.parse(line) as { url?: unknown };
      if (typeof entry.url === 'string') resolve(entry.url);
    });
    void exited.then((code) => reject(new Error(`exited early with ${code}`)));
  });
  return {
    url,
    stdout,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('the startup line', () => {
  it('gives the version, the Node version and the effective configuration, with the secret redacted', async () => {
    const main = await startMain({ ROUTER_SECRET: 'do-not-log-me-42' });
    expect(await main.stop()).toBe(0);
    const first = JSON.parse(main.stdout[0]!) as Record<string, any>;
    const { version } = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string };
    expect(first).toMatchObject({ level: 30, version, node: process.version });
    expect(first.msg).toBe(`transcript-subgraph ${version} starting on Node ${process.version}`);
    expect(first.config).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      routerSecret: '[redacted]',
      limits: { maxTokens: 5000 },
      metrics: { enabled: true },
      tracing: { serviceName: 'transcript-subgraph', sampler: 'parentbased_always_on' },
    });
    expect(main.stdout.join('\n')).not.toContain('do-not-log-me-42');
  });
});

describe('shutdown with tracing on', () => {
  it('drains, then flushes the spans not yet sent, then exits 0', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const main = await startMain({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      });
      const response = await fetch(main.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'query Series { allSeries { id } }' }),
      });
      expect(response.status).toBe(200);
      // Well within the 5 s batch delay: only the shutdown's flush sends these.
      expect(receiver.requests).toEqual([]);
      expect(await main.stop()).toBe(0);
      const names = receiver.spans().map((s) => s.name);
      expect(names).toContain('POST /graphql');
      expect(names).toContain('transcripts.reload');
    } finally {
      await receiver.close();
    }
  });
});
