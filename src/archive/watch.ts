/**
 * Watches a data folder and reloads the store when transcript files change. Bursts of events (an editor's save,
 * a `git pull` of a thousand files) are coalesced: a reload starts once the folder has been quiet for `quietMs`,
 * and at the latest `maxWaitMs` after the first event.
 *
 * The watch repairs itself. Node 20's recursive `fs.watch` on Linux is a tree of inotify watches kept by JavaScript:
 * when the folder itself is moved away it reports the root (as `''`) and drops every watch, for good, even if the
 * folder comes back; when the folder is replaced (`mv data.new data`) it keeps watching the old one and says nothing.
 * So three signals lead to watching again and rescanning (events were lost meanwhile):
 * - the recursive watcher reporting the root, or an error it cannot shrug off;
 * - a plain watch on the folder reporting the folder itself (moved, deleted) with an identity that no longer holds;
 * - a periodic check of the folder's identity (dev, ino): one `stat` a second, which also catches what no event on
 *   the folder reports (a parent folder renamed or replaced, a watch that died quietly).
 * The plain watch is there for one more reason: the recursive one does not report an entry renamed over another at
 * the top (a Kubernetes ConfigMap update renames a new `..data` link over the old), and the plain one does.
 * While the folder cannot be watched (it is gone), the state is `failed`, the last archive keeps serving and watching
 * is retried with a bounded backoff. A reload that fails is retried the same way: never lost.
 */
import path from 'node:path';

import { folderIdentity, folderIdentityLater, TRANSCRIPT_FILE, watchFolder, type FolderWatch } from './files.js';
import type { ReloadSummary } from './store.js';

/** `ok`: watching; `failed`: the folder cannot be watched now (gone), retrying. */
export type WatchState = 'ok' | 'failed';

/**
 * What the watcher drives: an ArchiveStore, or anything else that reloads a folder (the PostgreSQL sync). `reload()`
 * should coalesce calls that arrive while one runs, as the store's does.
 */
export interface Reloadable<S = ReloadSummary> {
  readonly dataDir: string;
  reload(): Promise<S>;
}

export interface WatchOptions<S = ReloadSummary> {
  /** Quiet time before reloading. Default 100 ms. */
  readonly quietMs?: number;
  /** Longest wait after the first event of a burst. Default 500 ms. */
  readonly maxWaitMs?: number;
  /** How often the folder's identity is checked. Default 1000 ms. */
  readonly checkMs?: number;
  /** First wait before retrying a failed watch or reload; doubled on each failure in a row. Default 100 ms. */
  readonly retryMs?: number;
  /** Longest wait between retries. Default 2000 ms. */
  readonly maxRetryMs?: number;
  readonly onReload?: (summary: S) => void;
  /** A reload failed, or the watch reported an error; either is retried. */
  readonly onError?: (error: unknown) => void;
  /** The watch broke and could not be set up again (`failed`, with why), or is back (`ok`). */
  readonly onStateChange?: (state: WatchState, error?: unknown) => void;
}

export interface Watcher {
  readonly state: WatchState;
  close(): void;
}

/**
 * Whether an event on `file` (relative to the folder) may change the archive. Hidden paths are skipped as the loader
 * skips them, except Kubernetes' `..data` link and `..<timestamp>` folders: a ConfigMap's files are links into them,
 * so a change there is a change of the files. A folder deleted or renamed reports only its own name: only what is
 * certainly irrelevant (another extension) is skipped.
 */
function relevant(file: string): boolean {
  const parts = file.split(/[\\/]/);
  if (parts.some((part) => part.startsWith('.') && !part.startsWith('..'))) return false;
  const last = parts.at(-1) ?? '';
  if (last.startsWith('..')) return true;
  return !/\.[^.]+$/.test(last) || TRANSCRIPT_FILE.test(last);
}

interface Identity {
  readonly dev: number;
  readonly ino: number;
}

/**
 * Starts watching `store.dataDir` (which the store has loaded once), reloading it through `store.reload()`.
 *
 * @example
 * const watcher = watchArchive(store, { onReload: (s) => log.info(s, 'reloaded') });
 * watcher.state; // 'ok'
 * watcher.close();
 */
export function watchArchive<S = ReloadSummary>(store: Reloadable<S>, options: WatchOptions<S> = {}): Watcher {
  const root = store.dataDir;
  const quietMs = options.quietMs ?? 100;
  const maxWaitMs = options.maxWaitMs ?? 500;
  const checkMs = options.checkMs ?? 1000;
  const retryMs = options.retryMs ?? 100;
  const maxRetryMs = options.maxRetryMs ?? 2000;
  // The first retry is immediate (a folder moved away and straight back), then 100 ms, 200 ms, ... up to the bound.
  const backoff = (failures: number): number =>
    failures === 0 ? 0 : Math.min(maxRetryMs, retryMs * 2 ** Math.min(failures - 1, 20));

  let closed = false;
  let state: WatchState = 'ok';
  let watchers: FolderWatch[] = [];
  /** What is being watched; null while not watching. */
  let identity: Identity | null = null;
  let watchedSince = 0;
  let watchFailures = 0;
  let reloadFailures = 0;
  let quiet: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  let retryReload: NodeJS.Timeout | undefined;
  let rewatchTimer: NodeJS.Timeout | undefined;
  let checking = false;

  const fire = (): void => {
    clearTimeout(quiet);
    clearTimeout(deadline);
    clearTimeout(retryReload);
    quiet = deadline = retryReload = undefined;
    store.reload().then(
      (summary) => {
        reloadFailures = 0;
        options.onReload?.(summary);
      },
      (error: unknown) => {
        if (closed) return;
        options.onError?.(error);
        // Try again later; if the folder itself went away, the check below finds it and watching again rescans.
        clearTimeout(retryReload);
        retryReload = setTimeout(() => {
          if (state === 'ok') fire();
        }, backoff(++reloadFailures));
        checkIdentity();
      },
    );
  };

  const changed = (): void => {
    clearTimeout(quiet);
    quiet = setTimeout(fire, quietMs);
    deadline ??= setTimeout(fire, maxWaitMs);
  };

  const unwatch = (): void => {
    for (const w of watchers) w.close();
    watchers = [];
    identity = null;
  };

  /** Watches again soon: at once the first time, then backing off while it keeps breaking. */
  const rewatch = (): void => {
    if (closed || rewatchTimer) return;
    unwatch();
    rewatchTimer = setTimeout(establish, backoff(watchFailures++));
  };

  const treeError = (error: NodeJS.ErrnoException): void => {
    // Node's recursive watcher lists each new folder; one deleted before that is simply gone (nothing to watch).
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return changed();
    options.onError?.(error);
    rewatch();
  };

  const establish = (rescan = true): void => {
    rewatchTimer = undefined;
    if (closed) return;
    unwatch();
    const made: FolderWatch[] = [];
    try {
      const before = folderIdentity(root);
      made.push(
        watchFolder(root, { recursive: true }, (file) => {
          if (file === '') return rewatch();
          if (relevant(file)) changed();
        }),
      );
      made[0]!.on('error', treeError);
      made.push(
        watchFolder(root, { recursive: false }, (file) => {
          // Events on the folder itself carry its own name (so would an entry of that name: a stat tells).
          if (file === '' || file === path.basename(root)) checkIdentity();
          if (file !== '' && relevant(file)) changed();
        }),
      );
      made[1]!.on('error', (error) => {
        options.onError?.(error);
        rewatch();
      });
      // Replaced while the watches were being set up: they may be on the old folder.
      const after = folderIdentity(root);
      if (after.dev !== before.dev || after.ino !== before.ino) throw new Error(`${root} was replaced; watching again`);
      watchers = made;
      identity = after;
      watchedSince = Date.now();
    } catch (error) {
      for (const w of made) w.close();
      if (state === 'ok') {
        state = 'failed';
        options.onStateChange?.('failed', error);
      }
      rewatchTimer = setTimeout(establish, backoff(watchFailures++));
      return;
    }
    if (state === 'failed') {
      state = 'ok';
      options.onStateChange?.('ok');
    }
    // Whatever happened while nothing watched was not reported.
    if (rescan) fire();
  };

  /** Watches again if the folder is not the one being watched any more (moved, replaced, deleted). */
  function checkIdentity(): void {
    const expected = identity;
    if (expected === null || closed) return;
    checking = true;
    folderIdentityLater(root).then(
      (info) => {
        checking = false;
        if (identity !== expected) return;
        if (info.dev !== expected.dev || info.ino !== expected.ino) return rewatch();
        // Healthy for a while: the next break starts the backoff over.
        if (Date.now() - watchedSince >= 2 * maxRetryMs) watchFailures = 0;
      },
      () => {
        checking = false;
        if (identity === expected) rewatch();
      },
    );
  }

  const check = setInterval(() => {
    // Skip while a check hangs (a stuck network mount): one stat at a time is enough.
    if (!checking) checkIdentity();
  }, checkMs);
  check.unref();

  establish(false);

  return {
    get state() {
      return state;
    },
    close: () => {
      closed = true;
      clearInterval(check);
      for (const timer of [quiet, deadline, retryReload, rewatchTimer]) clearTimeout(timer);
      unwatch();
    },
  };
}
