/**
 * Per-request context: the archive the request reads (fixed for the request's whole life, even if a reload
 * swaps in a newer one meanwhile) and DataLoaders that batch entity look-ups, so a router's `_entities`
 * call with a thousand representations is one batch of map reads per type.
 */
import DataLoader from 'dataloader';

import type {
  Archive,
  EpisodeRecord,
  SegmentRecord,
  SeriesRecord,
  SpeakerRecord,
  TurnRecord,
} from './archive/types.js';

export interface Loaders {
  readonly series: DataLoader<string, SeriesRecord | null>;
  readonly episode: DataLoader<string, EpisodeRecord | null>;
  readonly segment: DataLoader<string, SegmentRecord | null>;
  readonly turn: DataLoader<string, TurnRecord | null>;
  readonly speaker: DataLoader<string, SpeakerRecord | null>;
}

export interface Context {
  readonly archive: Archive;
  readonly loaders: Loaders;
}

/** Called once per DataLoader batch: lets tests and metrics see how look-ups were batched. */
export type BatchObserver = (type: keyof Loaders, size: number) => void;

/**
 * A fresh context for one request.
 *
 * @example
 * const ctx = createContext(archive);
 * await ctx.loaders.speaker.loadMany(['stefan', 'nobody']) // [SpeakerRecord, null]
 */
export function createContext(archive: Archive, onBatch?: BatchObserver): Context {
  return { archive, loaders: new RequestLoaders(archive, onBatch) };
}

/** Each loader is made on first use: most operations need none, and a request should not pay for five. */
class RequestLoaders implements Loaders {
  #series?: DataLoader<string, SeriesRecord | null>;
  #episode?: DataLoader<string, EpisodeRecord | null>;
  #segment?: DataLoader<string, SegmentRecord | null>;
  #turn?: DataLoader<string, TurnRecord | null>;
  #speaker?: DataLoader<string, SpeakerRecord | null>;

  constructor(
    private readonly archive: Archive,
    private readonly onBatch: BatchObserver | undefined,
  ) {}

  get series() {
    return (this.#series ??= this.loader('series', this.archive.seriesById));
  }
  get episode() {
    return (this.#episode ??= this.loader('episode', this.archive.episodeById));
  }
  get segment() {
    return (this.#segment ??= this.loader('segment', this.archive.segmentById));
  }
  get turn() {
    return (this.#turn ??= this.loader('turn', this.archive.turnById));
  }
  get speaker() {
    return (this.#speaker ??= this.loader('speaker', this.archive.speakerById));
  }

  private loader<T>(type: keyof Loaders, byId: ReadonlyMap<string, T>): DataLoader<string, T | null> {
    const onBatch = this.onBatch;
    return new DataLoader<string, T | null>(
      async (ids) => {
        onBatch?.(type, ids.length);
        return ids.map((id) => byId.get(id) ?? null);
      },
      // Look-ups are map reads on an immutable archive: a per-request cache would only add work.
      { cache: false, maxBatchSize: Infinity },
    );
  }
}
