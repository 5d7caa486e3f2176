/**
 * The archive's file-system code, all of it: finding transcript files under a data folder, reading them (into a
 * reused buffer, texts into an arena), what identifies a file or a folder (for reloads and the watcher), and the
 * watches themselves. Nothing else under src/ touches the file system but the SDL loading in src/schema.ts (a
 * dependency-cruiser rule keeps it so).
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readSync,
  realpathSync,
  statSync,
  watch,
  type FSWatcher,
} from 'node:fs';
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

import { compareCodeUnits } from '../lib/order.js';

import { parseCompact, type CompactResult } from '../parser/index.js';
import { DEFAULT_MAX_BYTES, diagnostic } from '../parser/index.js';
import { TextArena } from './arena.js';

/** Which files are transcripts: the one place that says so (the walk and the watcher both ask it). */
export const TRANSCRIPT_FILE = /\.(?:md|markdown|txt)$/i;

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
        if (!TRANSCRIPT_FILE.test(entry.name)) return;
        if (entry.isFile() || (entry.isSymbolicLink() && (await isFile(path.join(dataDir, rel))))) found.push(rel);
      }),
    );
  };
  await walk('');
  return found.sort(compareCodeUnits);
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
    const got = this.bytesOf(relative);
    return { result: got.ok ? this.parse(got.bytes, relative) : got.result, identity: got.identity };
  }

  /**
   * Reads one file as `read` does, but parses it only if asked: its content hash (sha256 of its bytes) tells the
   * PostgreSQL sync whether it changed. `parse()` must be called before the next read (the bytes are the reader's
   * scratch). A file that cannot be read hashes its diagnostics instead (a 0 byte first: no text file starts so),
   * so it too is "unchanged" while it fails the same way.
   *
   * @example
   * const { hash, parse } = reader.readHashed('show/ep1.md');
   * if (!hash.equals(known)) use(parse());
   */
  readHashed(relative: string): { hash: Buffer; parse(): CompactResult } {
    const got = this.bytesOf(relative);
    if (!got.ok) {
      const failed = got.result;
      const hash = createHash('sha256').update('\0').update(JSON.stringify(failed)).digest();
      return { hash, parse: () => failed };
    }
    const hash = createHash('sha256').update(got.bytes).digest();
    let parsed: CompactResult | undefined;
    return {
      hash,
      parse: () => {
        if (parsed) return parsed;
        if (this.reads !== got.reads) throw new Error('parse() after another read');
        return (parsed = this.parse(got.bytes, relative));
      },
    };
  }

  private reads = 0;

  private parse(bytes: Buffer, relative: string): CompactResult {
    const maxBytes = this.options.maxBytes ?? DEFAULT_MAX_BYTES;
    const result = parseCompact(bytes, relative, { maxBytes });
    return result.ok ? { ...result, segment: this.arena.adopt(result.segment) } : result;
  }

  /** A file's bytes (in the scratch buffer, valid until the next read), or why it cannot be read. */
  private bytesOf(
    relative: string,
  ):
    | { ok: true; bytes: Buffer; identity: Identity; reads: number }
    | { ok: false; result: CompactResult; identity: Identity | null } {
    const maxBytes = this.options.maxBytes ?? DEFAULT_MAX_BYTES;
    const reads = ++this.reads;
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
          return { ok: false, result: outside(relative), identity: null };
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
          ok: false,
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
      return { ok: true, bytes: this.scratch.subarray(0, read), identity, reads };
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
      return {
        ok: false,
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

/** A file's identity (following links), or null when it cannot be read. */
export function fileIdentity(file: string): Identity | null {
  try {
    const { size, mtimeMs, ctimeMs, ino, dev } = statSync(file);
    return { size, mtimeMs, ctimeMs, ino, dev };
  } catch {
    return null;
  }
}

/** A folder's real path (links resolved). */
export function realFolder(folder: string): Promise<string> {
  return realpath(folder);
}

/** A folder's identity; throws if it is missing or not a folder. Synchronous: it brackets `fs.watch`, itself so. */
export function folderIdentity(folder: string): { readonly dev: number; readonly ino: number } {
  const info = statSync(folder);
  if (!info.isDirectory()) throw Object.assign(new Error(`${folder} is not a folder`), { code: 'ENOTDIR' });
  return { dev: info.dev, ino: info.ino };
}

/** The same, without blocking (the watcher's periodic check). */
export async function folderIdentityLater(folder: string): Promise<{ readonly dev: number; readonly ino: number }> {
  const info = await stat(folder);
  return { dev: info.dev, ino: info.ino };
}

/**
 * Watches a folder (`recursive`: its whole tree) and calls `listener` with the name each event carries.
 *
 * @example
 * const w = watchFolder('data', { recursive: true }, (name) => console.log(name));
 */
export type FolderWatch = FSWatcher;

export function watchFolder(
  folder: string,
  options: { readonly recursive: boolean },
  listener: (name: string) => void,
): FolderWatch {
  return watch(folder, { recursive: options.recursive }, (_event, name) => listener(name?.toString() ?? ''));
}
