/**
 * Watches a data folder and reloads the store when transcript files change. Bursts of events (an editor's save,
 * a `git pull` of a thousand files) are coalesced: a reload starts once the folder has been quiet for `quietMs`,
 * and at the latest `maxWaitMs` after the first event.
 */
import { watch, type FSWatcher } from 'node:fs';

import type { ArchiveStore, ReloadSummary } from './store.js';

export interface WatchOptions {
  /** Quiet time before reloading. Default 100 ms. */
  readonly quietMs?: number;
  /** Longest wait after the first event of a burst. Default 500 ms. */
  readonly maxWaitMs?: number;
  readonly onReload?: (summary: ReloadSummary) => void;
  readonly onError?: (error: unknown) => void;
}

export interface Watcher {
  close(): void;
}

/**
 * Starts watching. Changes under hidden folders and to files that are not transcripts are ignored.
 *
 * @example
 * const watcher = watchArchive(store, { onReload: (s) => log.info(s, 'reloaded') });
 * watcher.close();
 */
export function watchArchive(store: ArchiveStore, options: WatchOptions = {}): Watcher {
  const quietMs = options.quietMs ?? 100;
  const maxWaitMs = options.maxWaitMs ?? 500;
  let quiet: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  const fire = (): void => {
    clearTimeout(quiet);
    clearTimeout(deadline);
    quiet = deadline = undefined;
    store.reload().then(options.onReload, options.onError);
  };
  const watcher: FSWatcher = watch(store.dataDir, { recursive: true }, (_event, name) => {
    const file = name?.toString() ?? '';
    // Deleting or renaming a folder reports the folder's name: only skip what is certainly irrelevant.
    if (file.split(/[\\/]/).some((part) => part.startsWith('.'))) return;
    if (/\.[^./\\]+$/.test(file) && !/\.(?:md|markdown|txt)$/i.test(file)) return;
    clearTimeout(quiet);
    quiet = setTimeout(fire, quietMs);
    deadline ??= setTimeout(fire, maxWaitMs);
  });
  watcher.on('error', (error) => options.onError?.(error));
  return {
    close: () => {
      clearTimeout(quiet);
      clearTimeout(deadline);
      watcher.close();
    },
  };
}
