/**
 * The archive the server hands out, and its reloads. A reload re-reads only files that changed (size, times or
 * identity), builds a new archive off to the side and swaps it in at once: a request keeps the archive it started
 * with. A file that breaks keeps serving its last good version (its errors are still reported) until it is fixed;
 * a deleted file leaves.
 */
import path from 'node:path';

import { timeSlices } from '../lib/slices.js';
import type { CompactResult, CompactSegment } from '../parser/index.js';
import type { Diagnostic } from '../parser/index.js';
import { buildArchive } from './build.js';
import { fileIdentity, listTranscriptFiles, realFolder, TranscriptReader, type Identity } from './files.js';
import type { Archive } from './types.js';

interface FileState extends Identity {
  readonly result: CompactResult;
}

const same = (a: Identity, b: Identity): boolean =>
  a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino && a.dev === b.dev;

export interface ReloadSummary {
  readonly archive: Archive;
  /** Files read again because they were new or changed. */
  readonly read: number;
  /** Files that left the folder. */
  readonly removed: number;
  /** Broken files still served from their last good version. */
  readonly keptLastGood: readonly string[];
  /** Diagnostics of the files read in this reload (the others were reported when they were read). */
  readonly fresh: readonly Diagnostic[];
  readonly ms: number;
}

/**
 * Told of each reload as it starts (metrics, a trace span); the function it returns is told how the reload ended.
 * Coalesced calls share one reload and are told once.
 */
export type ReloadObserver = () => (ended: { readonly summary: ReloadSummary } | { readonly error: unknown }) => void;

/** Runs a reload, telling the observers when it starts and how it ends. */
async function observed(
  observers: readonly ReloadObserver[],
  run: () => Promise<ReloadSummary>,
): Promise<ReloadSummary> {
  const ended = observers.map((observer) => observer());
  try {
    const summary = await run();
    for (const end of ended) end({ summary });
    return summary;
  } catch (error) {
    for (const end of ended) end({ error });
    throw error;
  }
}

export class ArchiveStore {
  private current: Archive | null = null;
  private readonly files = new Map<string, FileState>();
  private readonly lastGood = new Map<string, CompactSegment>();
  private running: Promise<ReloadSummary> | null = null;
  /** The reload queued behind the running one, shared by every call that arrives while it runs. */
  private queued: Promise<ReloadSummary> | null = null;
  private readonly observers: ReloadObserver[] = [];
  /** How many archives have been built, the first load included. */
  loads = 0;

  constructor(
    readonly dataDir: string,
    private readonly maxBytes?: number,
  ) {}

  /** The archive to serve, or null before the first load finishes. */
  get archive(): Archive | null {
    return this.current;
  }

  /** Observes every reload from now on. */
  observe(observer: ReloadObserver): void {
    this.observers.push(observer);
  }

  /**
   * Loads the folder again. Calls that arrive while a reload runs are coalesced into one more reload after it, and
   * get that reload's outcome: the running one may have listed the folder before their change, and a failure of the
   * queued one must reach a caller that can retry it.
   *
   * @example
   * const { archive, read } = await store.reload();
   */
  reload(): Promise<ReloadSummary> {
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
    this.running = observed(this.observers, () => this.rebuild()).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async rebuild(): Promise<ReloadSummary> {
    const startedAt = performance.now();
    // Once per reload: files are checked against the folder's real path (links must not lead out of it).
    const realDataDir = await realFolder(this.dataDir);
    const names = await listTranscriptFiles(this.dataDir);
    const present = new Set(names);
    let removed = 0;
    for (const name of [...this.files.keys()]) {
      if (!present.has(name)) {
        this.files.delete(name);
        this.lastGood.delete(name);
        removed++;
      }
    }
    let read = 0;
    const reader = new TranscriptReader(this.dataDir, { maxBytes: this.maxBytes, realDataDir });
    // Reading, parsing and building share the event loop in slices: a reload runs while requests are answered.
    const slices = timeSlices();
    const results: CompactResult[] = [];
    const kept: Diagnostic[] = [];
    const keptLastGood: string[] = [];
    const fresh: Diagnostic[] = [];
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const known = this.files.get(name);
      // A file seen before is read again only when it changed (a stat); a new one is read at once (its fstat).
      const info = known ? fileIdentity(path.join(this.dataDir, name)) : null;
      let result: CompactResult;
      if (known && info && same(known, info)) {
        result = known.result;
      } else {
        const fileRead = reader.read(name);
        result = fileRead.result;
        read++;
        fresh.push(...(result.ok ? [] : result.errors), ...result.warnings);
        if (fileRead.identity) this.files.set(name, { ...fileRead.identity, result });
        else this.files.delete(name);
      }
      const pause = slices.tick();
      if (pause) await pause;
      const good = this.lastGood.get(name);
      if (result.ok) {
        this.lastGood.set(name, result.segment);
        results.push(result);
      } else if (good) {
        // Broken now, good before: keep serving the good version, and say why it is stale.
        kept.push(...result.errors, ...result.warnings);
        keptLastGood.push(name);
        results.push({ ok: true, segment: good, warnings: [] });
      } else {
        results.push(result);
      }
    }
    const archive = await buildArchive(results, { extraDiagnostics: kept, slices });
    this.current = archive;
    this.loads++;
    return { archive, read, removed, keptLastGood, fresh, ms: performance.now() - startedAt };
  }
}

export interface LoadOptions {
  /** Largest accepted file, in bytes. Default 10 MiB. */
  readonly maxBytes?: number;
}

/**
 * Loads a data folder into an archive. Broken files are reported in `archive.diagnostics` and left out;
 * every good file loads. Throws only when the folder itself cannot be read.
 *
 * @example
 * const archive = await loadArchive('data');
 * console.log(archive.stats); // { series: 1, episodes: 1, segments: 1, turns: 17, speakers: 2, ... }
 */
export async function loadArchive(dataDir: string, options: LoadOptions = {}): Promise<Archive> {
  // One load is a store's first reload: the same reading, yielding and building as a live server's.
  return (await new ArchiveStore(dataDir, options.maxBytes).reload()).archive;
}
