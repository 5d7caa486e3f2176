/**
 * The only file-system code: find the transcript files under a data folder, read them concurrently,
 * parse each, and build the archive.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

import { parseCompact, type CompactResult } from '../parser/compact.js';
import { DEFAULT_MAX_BYTES, diagnostic } from '../parser/index.js';
import { TextArena } from './arena.js';
import { ArchiveStore } from './store.js';
import type { Archive } from './types.js';

export interface LoadOptions {
  /** Largest accepted file, in bytes. Default 10 MiB. */
  readonly maxBytes?: number;
}

const TRANSCRIPT = /\.(?:md|markdown|txt)$/i;

/**
 * Every transcript file under `dataDir`, recursively, as sorted paths relative to it with `/` separators.
 * Hidden files and folders (names starting with `.`) are skipped; symbolic links to folders are not followed (links
 * to files are listed; `readTranscript` refuses those that lead out of the folder).
 * A folder that vanishes (or becomes a file) after its parent was listed is skipped; only an unreadable `dataDir`
 * throws.
 *
 * @example
 * await listTranscriptFiles('data') // ['the-good-thing/ep03-06-cosmo-boring-tech-architecture.md']
 */
export async function listTranscriptFiles(dataDir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(dataDir, relative), { withFileTypes: true });
    } catch (error) {
      // Deleted between its parent's listing and now (a `git checkout`, a sync tool): it is simply gone.
      const code = (error as NodeJS.ErrnoException).code;
      if (relative !== '' && (code === 'ENOENT' || code === 'ENOTDIR')) return;
      throw error;
    }
    await Promise.all(
      entries.map(async (entry) => {
        if (entry.name.startsWith('.')) return;
        const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
        if (entry.isDirectory()) return walk(rel);
        if (!TRANSCRIPT.test(entry.name)) return;
        if (entry.isFile() || (entry.isSymbolicLink() && (await isFile(path.join(dataDir, rel))))) found.push(rel);
      }),
    );
  };
  await walk('');
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

export interface ReadOptions {
  /** Largest accepted file, in bytes. Default 10 MiB. */
  readonly maxBytes?: number;
  /** `dataDir`'s real path, when the caller has it (a reload resolves it once); resolved here otherwise. */
  readonly realDataDir?: string;
}

/**
 * What tells a file changed. Size and mtime are not enough: a Kubernetes ConfigMap update swaps in a new file of the
 * same size (a link re-pointed, `..data` renamed), whose mtime can match too. Identity (dev, ino, of the file links
 * lead to) catches a swap; ctime, which no tool can set back, catches a rewrite in place with the mtime restored.
 */
export interface Identity {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino: number;
  readonly dev: number;
}

// Where the platform has it: a last path component that is a link is refused by open() itself.
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * Reads and parses files one after another into one reused scratch Buffer; what the archive keeps of each (its
 * turns' texts) is copied into an arena (src/archive/arena.ts). One per load or reload.
 */
export class TranscriptReader {
  private scratch = Buffer.allocUnsafeSlow(64 * 1024);
  readonly arena = new TextArena();

  constructor(
    private readonly dataDir: string,
    private readonly options: ReadOptions = {},
  ) {}

  /**
   * Reads and parses one file. Never throws: an unreadable or oversized file becomes an error diagnostic, and so
   * does a file whose real path is outside `dataDir`'s (a link out of the folder), which is never opened.
   * Synchronous on purpose: a plain read is several times cheaper than a trip through libuv's thread pool, and
   * the store yields to the event loop between files. Also returns what identifies the file read (fstat).
   *
   * @example
   * const { result, identity } = reader.read('show/ep1.md');
   */
  read(relative: string): { result: CompactResult; identity: Identity | null } {
    const maxBytes = this.options.maxBytes ?? DEFAULT_MAX_BYTES;
    let fd: number | undefined;
    try {
      const file = path.join(this.dataDir, relative);
      try {
        // The walk does not follow links to folders, so a file that is not itself a link lies inside the folder.
        fd = openSync(file, constants.O_RDONLY | NO_FOLLOW);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ELOOP') throw error;
        // A link may point anywhere the server can read: only what really lies inside the data folder is served.
        const root = this.options.realDataDir ?? realpathSync.native(this.dataDir);
        const real = realpathSync.native(file);
        if (!real.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) {
          return { result: outside(relative), identity: null };
        }
        // Open the path that was checked, not the link (which could be re-pointed in between); a folder on the way
        // swapped for a link in that instant is not caught (Node has no openat2 RESOLVE_BENEATH).
        fd = openSync(real, constants.O_RDONLY | NO_FOLLOW);
      }
      // Check the size first so an oversized file is never read into memory.
      const { size, mtimeMs, ctimeMs, ino, dev } = fstatSync(fd);
      const identity = { size, mtimeMs, ctimeMs, ino, dev };
      if (size > maxBytes) {
        return {
          result: { ok: false, errors: [diagnostic('FILE_TOO_LARGE', relative, 1, size, maxBytes)], warnings: [] },
          identity,
        };
      }
      if (this.scratch.length < size) this.scratch = Buffer.allocUnsafeSlow(Math.max(size, this.scratch.length * 2));
      let read = 0;
      while (read < size) {
        const n = readSync(fd, this.scratch, read, size - read, read);
        if (n === 0) break;
        read += n;
      }
      const result = parseCompact(this.scratch.subarray(0, read), relative, { maxBytes });
      return { result: result.ok ? { ...result, segment: this.arena.adopt(result.segment) } : result, identity };
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
      return {
        result: { ok: false, errors: [diagnostic('FILE_UNREADABLE', relative, 1, reason)], warnings: [] },
        identity: null,
      };
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}

const outside = (relative: string): CompactResult => ({
  ok: false,
  errors: [diagnostic('FILE_OUTSIDE_DATA_DIR', relative, 1, relative)],
  warnings: [],
});

/**
 * Reads and parses one file (see TranscriptReader.read), on its own.
 *
 * @example
 * readTranscript('data', 'show/ep1.md') // { ok: true, segment, warnings } | { ok: false, errors, warnings }
 * (the segment in the compact form: src/parser/columns.ts)
 */
export function readTranscript(dataDir: string, relative: string, options: ReadOptions = {}): CompactResult {
  return new TranscriptReader(dataDir, options).read(relative).result;
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
