/** Runs bench/load.ts (autocannon in its own process) and returns what it measured. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LoadResult {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Connection errors, timeouts and non-2xx answers. */
  readonly errors: number;
}

/**
 * Sends the bodies in turn to `url` for `seconds` from a separate process. A watchdog kills a run that outlives
 * its duration by 30 s; the promise then rejects.
 *
 * @example
 * const { rps, errors } = await runLoad('http://127.0.0.1:4001/graphql', 10, ['{"query":"{ allSeries { id } }"}']);
 */
export async function runLoad(url: string, seconds: number, bodies: readonly string[]): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'load-'));
  const file = path.join(dir, 'bodies.json');
  writeFileSync(file, JSON.stringify(bodies));
  const script = fileURLToPath(new URL('./load.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, url, String(seconds), file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const watchdog = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
  const code = await new Promise((resolve) => child.once('exit', resolve));
  clearTimeout(watchdog);
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  return JSON.parse(out) as LoadResult;
}
