import { spawn } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';

import { describe, expect, it } from 'vitest';

import { makeCorpus } from '../helpers/corpus.js';
import { gql } from '../helpers/server.js';
import { repoPath } from '../helpers/paths.js';

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('npm run supergraph', () => {
  it('starts both subgraphs and a router, answers across them, and stops all three on SIGTERM', async () => {
    const corpus = makeCorpus();
    const [port, peoplePort, routerPort] = [await freePort(), await freePort(), await freePort()];
    const child = spawn('npm', ['run', '--silent', 'supergraph'], {
      cwd: repoPath('.'),
      env: {
        ...process.env,
        PORT: String(port),
        PEOPLE_PORT: String(peoplePort),
        ROUTER_PORT: String(routerPort),
        DATA_DIR: corpus.dir,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          if (line.startsWith('{')) resolve((JSON.parse(line) as { url: string }).url);
        });
        void exited.then((code) => reject(new Error(`exited early with ${code}`)));
      });
      expect(url).toBe(`http://localhost:${routerPort}/graphql`);
      const { data } = await gql(url, '{ person(id: "jens-neuse") { role turnCount debut { id } } }');
      expect(data).toEqual({ person: { role: 'CEO', turnCount: 2, debut: { id: 'northern-lights-ep2' } } });
      // Both names of the loopback work.
      const again = await gql(url.replace('localhost', '127.0.0.1'), '{ allSeries { id } }');
      expect(again.data.allSeries).toHaveLength(3);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      for (const p of [port, peoplePort, routerPort]) expect(await isListening(p)).toBe(false);
    } finally {
      child.kill('SIGKILL');
      corpus.cleanup();
    }
  });
});
