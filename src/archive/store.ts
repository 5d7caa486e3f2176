/**
 * The archive the server hands out, and its reloads. A reload re-reads only files whose size or modification time
 * changed, builds a new archive off to the side and swaps it in at once: a request keeps the archive it started
 * with. A file that breaks keeps serving its last good version (its errors are still reported) until it is fixed;
 * a deleted file leaves.
 */
import { statSync } from 'node:fs';
import path from 'node:path';

import type { Diagnostic, ParseResult, ParsedSegment } from '../parser/index.js';
import { buildArchive } from './build.js';
import { listTranscriptFiles, readTranscript } from './load.js';
import type { Archive } from './types.js';

interface FileState {
  readonly size: number;
  readonly mtimeMs: number;
  readonly result: ParseResult;
}

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

function statOrNull(file: string): { size: number; mtimeMs: number } | null {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

export class ArchiveStore {
  private current: Archive | null = null;
  private readonly files = new Map<string, FileState>();
  private readonly lastGood = new Map<string, ParsedSegment>();
  private running: Promise<ReloadSummary> | null = null;
  private again = false;
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
   * Loads the folder again. Calls that arrive while a reload runs are coalesced into one more reload after it.
   *
   * @example
   * const { archive, read } = await store.reload();
   */
  reload(): Promise<ReloadSummary> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = observed(this.observers, () => this.rebuild()).finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.reload();
      }
    });
    return this.running;
  }

  private async rebuild(): Promise<ReloadSummary> {
    const startedAt = performance.now();
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
    const results: ParseResult[] = [];
    const kept: Diagnostic[] = [];
    const keptLastGood: string[] = [];
    const fresh: Diagnostic[] = [];
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const info = statOrNull(path.join(this.dataDir, name));
      const known = this.files.get(name);
      let result: ParseResult;
      if (known && info && known.size === info.size && known.mtimeMs === info.mtimeMs) {
        result = known.result;
      } else {
        result = readTranscript(this.dataDir, name, this.maxBytes);
        read++;
        fresh.push(...(result.ok ? [] : result.errors), ...result.warnings);
        if (info) this.files.set(name, { size: info.size, mtimeMs: info.mtimeMs, result });
        // Yield now and then: a reload runs while the server answers requests.
        if (read % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
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
    const archive = buildArchive(results, kept);
    this.current = archive;
    this.loads++;
    return { archive, read, removed, keptLastGood, fresh, ms: performance.now() - startedAt };
  }
}
