/**
 * `npm run sync -- [--watch] [--lock-timeout SECONDS] [--max-bytes N] DIR`: makes the PostgreSQL database named by
 * DATABASE_URL hold exactly the folder's valid transcripts (src/pg/sync.ts). Prints every diagnostic as
 * `npm run validate` does (`path:line: error|warning: message [CODE]`), the broken files still serving their last
 * good version, then a summary line. Exits 0 when committed with every file accepted, 2 when committed with some
 * files rejected (each named above), 1 when nothing was committed (database unreachable, lock held too long, bad
 * arguments, unreadable folder, interrupted).
 *
 * With --watch: syncs, then again whenever files change (bursts coalesced), until SIGTERM or SIGINT, then exits 0;
 * a sync running then is abandoned (rolled back), never committed half.
 */
import { pathToFileURL } from 'node:url';

import { watchArchive } from '../archive/index.js';
import { formatDiagnostic } from '../parser/index.js';
import { createPool, redactUrl, type Pool } from '../pg/client.js';
import { syncFolder, type SyncOptions, type SyncReport, type SyncResult } from '../pg/sync.js';

const USAGE =
  'usage: DATABASE_URL=postgres://... npm run sync -- [--watch] [--lock-timeout SECONDS] [--max-bytes N] [DIR]' +
  '   (DIR defaults to DATA_DIR or ./data)';

export interface SyncIo {
  readonly env: NodeJS.ProcessEnv;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Stops a --watch (exit 0), or abandons a single sync (exit 1). */
  readonly signal?: AbortSignal;
}

type Parsed =
  | { ok: true; watch: boolean; dir: string; lockTimeoutMs?: number; maxBytes?: number }
  | { ok: false; exitCode: number; lines: string[] };

/** The command line of `npm run sync`, read; exported for the deploy tests (the Job's command). */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Parsed {
  let watch = false;
  let lockTimeoutMs: number | undefined;
  let maxBytes: number | undefined;
  const dirs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--watch') watch = true;
    else if (arg === '--lock-timeout') {
      const seconds = Number(argv[++i]);
      if (!(seconds > 0) || !Number.isFinite(seconds)) return { ok: false, exitCode: 1, lines: [USAGE] };
      lockTimeoutMs = seconds * 1000;
    } else if (arg === '--max-bytes') {
      maxBytes = Number(argv[++i]);
      if (!Number.isInteger(maxBytes) || maxBytes < 1) return { ok: false, exitCode: 1, lines: [USAGE] };
    } else if (arg === '--help' || arg === '-h') return { ok: false, exitCode: 0, lines: [USAGE] };
    else if (arg.startsWith('-')) return { ok: false, exitCode: 1, lines: [`unknown option ${arg}`, USAGE] };
    else dirs.push(arg);
  }
  if (dirs.length > 1) return { ok: false, exitCode: 1, lines: [USAGE] };
  return { ok: true, watch, dir: dirs[0] ?? env.DATA_DIR ?? 'data', lockTimeoutMs, maxBytes };
}

/** What a committed sync prints: its diagnostics, the files kept at their last good version, a summary. */
export function reportLines(report: SyncReport, options: { readonly freshOnly?: boolean } = {}): string[] {
  const { stats } = report;
  const lines = (options.freshOnly ? report.fresh : report.diagnostics).map(formatDiagnostic);
  for (const file of report.keptLastGood) lines.push(`${file}: still serving its last good version`);
  const rejected = report.rejected.length;
  const kept = report.keptLastGood.length;
  lines.push(
    `${stats.files} files: ${stats.files - rejected} loaded, ${rejected} rejected` +
      (kept > 0 ? ` (${kept} still serving the last good version)` : '') +
      `; ${stats.errors} errors, ${stats.warnings} warnings; ` +
      `${stats.series} series, ${stats.episodes} episodes, ${stats.segments} segments, ${stats.turns} turns, ` +
      `${stats.speakers} speakers; version ${report.version} ${report.changed ? 'committed' : 'unchanged'} ` +
      `(${report.read} read, ${report.removed} removed, ${report.unchanged} unchanged) in ${report.ms} ms`,
  );
  return lines;
}

const exitCodeOf = (result: SyncResult): number => (!result.ok ? 1 : result.rejected.length > 0 ? 2 : 0);

/**
 * Runs the command; returns the exit code instead of exiting, so it can be tested.
 *
 * @example
 * const code = await sync(['data'], { env: process.env, out: console.log, err: console.error });
 */
export async function sync(argv: readonly string[], io: SyncIo): Promise<number> {
  const parsed = parseArgs(argv, io.env);
  if (!parsed.ok) {
    for (const line of parsed.lines) (parsed.exitCode === 0 ? io.out : io.err)(line);
    return parsed.exitCode;
  }
  const url = io.env.DATABASE_URL ?? '';
  if (url === '') {
    io.err('DATABASE_URL is not set: it names the database to sync into (postgres://user@host:5432/db)');
    return 1;
  }
  // One connection does the work; statements may run long (a first sync's COPY), the lock wait is bounded itself.
  const pool = createPool(url, { max: 2, statementTimeoutMs: 0 });
  try {
    const options: SyncOptions = { lockTimeoutMs: parsed.lockTimeoutMs, maxBytes: parsed.maxBytes, signal: io.signal };
    const first = await syncFolder(pool, parsed.dir, options);
    // Stopped while the first sync ran: a --watch stops as asked (nothing was committed).
    if (!first.ok && parsed.watch && first.reason === 'aborted') return 0;
    if (!first.ok) {
      io.err(failureLine(first, url));
      return 1;
    }
    for (const line of reportLines(first)) io.out(line);
    if (!parsed.watch) return exitCodeOf(first);
    return await watch(pool, parsed.dir, options, io, url);
  } finally {
    await pool.end();
  }
}

function failureLine(result: Extract<SyncResult, { ok: false }>, url: string): string {
  const where = result.reason === 'connect' ? ` (${redactUrl(url)})` : '';
  return `sync failed${where}: ${result.message}; nothing was committed`;
}

/**
 * Syncs `dir` one sync at a time: a call while one runs is coalesced into one more after it (which sees every change
 * made meanwhile), as ArchiveStore.reload does for the in-memory archive.
 */
class SyncRunner {
  private running: Promise<SyncReport> | null = null;
  private queued: Promise<SyncReport> | null = null;

  constructor(
    private readonly pool: Pool,
    readonly dataDir: string,
    private readonly options: SyncOptions,
  ) {}

  reload(): Promise<SyncReport> {
    if (this.queued) return this.queued;
    if (this.running) {
      const settled = this.running.then(
        () => undefined,
        () => undefined,
      );
      this.queued = settled.then(() => {
        this.queued = null;
        return this.reload();
      });
      return this.queued;
    }
    this.running = syncFolder(this.pool, this.dataDir, this.options)
      .then((result) => {
        if (!result.ok) throw Object.assign(new Error(result.message), { result });
        return result;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** Resolves once no sync runs or waits. */
  async idle(): Promise<void> {
    while (this.running || this.queued) await (this.queued ?? this.running)!.catch(() => undefined);
  }
}

async function watch(pool: Pool, dir: string, options: SyncOptions, io: SyncIo, url: string): Promise<number> {
  const runner = new SyncRunner(pool, dir, options);
  const watcher = watchArchive(runner, {
    onReload: (report) => {
      if (report.changed) for (const line of reportLines(report, { freshOnly: true })) io.out(line);
    },
    onError: (error) => {
      if (io.signal?.aborted) return;
      const result = (error as { result?: Extract<SyncResult, { ok: false }> }).result;
      io.err(result ? failureLine(result, url) : `watch: ${String(error)}`);
    },
  });
  io.out(`watching ${dir} (stop with SIGTERM or Ctrl-C)`);
  await new Promise<void>((resolve) => {
    if (io.signal?.aborted) return resolve();
    io.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  watcher.close();
  // The signal also abandons a sync that is running (rolled back, never half committed).
  await runner.idle();
  io.out('stopped');
  return 0;
}

// Run only when executed directly, not when imported by tests.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const stop = new AbortController();
  for (const name of ['SIGTERM', 'SIGINT'] as const) process.once(name, () => stop.abort());
  process.exitCode = await sync(process.argv.slice(2), {
    env: process.env,
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    signal: stop.signal,
  });
}
