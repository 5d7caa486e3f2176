/**
 * The archive's public entry: loading a data folder (and following it as it changes) into an immutable archive of
 * records. Files are read by src/archive/files.ts, the only module here that touches the file system; records are
 * built by build.ts; turns live in columns (turns.ts, arena.ts).
 */
export { ArchiveStore, loadArchive, type LoadOptions, type ReloadObserver, type ReloadSummary } from './store.js';
export {
  listTranscriptFiles,
  readTranscript,
  realFolder,
  TranscriptReader,
  TRANSCRIPT_FILE,
  type ReadOptions,
} from './files.js';
export { watchArchive, type Reloadable, type Watcher, type WatchOptions } from './watch.js';
export { episodeId, parseTurnId, turnId } from './build.js';
export {
  filterEpisodes,
  filterSegments,
  given,
  searchScope,
  type EpisodeFilter,
  type SearchFilter,
  type SegmentFilter,
} from './query.js';
export * from './types.js';
export * from './source.js';
