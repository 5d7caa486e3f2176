/**
 * Per-request context: the archive the request reads (fixed for the request's whole life, even if a reload
 * swaps in a newer one meanwhile) and DataLoaders that batch entity look-ups, so a router's `_entities`
 * call with a thousand representations is one batch of map reads per type.
 */
import DataLoader from 'dataloader';

import type {
  Archive,
  ById,
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

/**
 * What Apollo did with a request, written by the pipeline's plugin as Apollo runs it and read by the HTTP pipeline
 * afterwards: the response cache and planned execution decide from it, never from the serialised answer. (Apollo
 * hands plugins a shallow copy of the context, so the record is shared, not copied.)
 */
export interface Outcome {
  /** The operation's type, once Apollo resolved it. */
  operation?: 'query' | 'mutation' | 'subscription';
  /** GraphQL errors in the answer; null until Apollo sent one. */
  errors: number | null;
  /** The operation's name, once Apollo resolved it (null: anonymous). */
  operationName?: string | null;
  /** `extensions.code` of each error in the answer, as Apollo formatted them (for metrics and traces). */
  codes?: readonly string[];
}

/** A span of work inside the request's trace; null from `RequestTrace.span` when tracing is off. */
export interface TraceSpan {
  setAttribute(key: string, value: string | number | boolean): void;
  /** Ends the span; with an error, marks it failed. */
  end(error?: unknown): void;
}

/** Child spans of the request's trace, for work worth seeing in it (parse, validate, execute, search). */
export interface RequestTrace {
  span(name: string): TraceSpan | null;
}

export interface Context {
  readonly archive: Archive;
  readonly loaders: Loaders;
  /** Written by Apollo's plugins for the HTTP pipeline; absent when no pipeline asks (executeOperation). */
  readonly outcome?: Outcome;
  /** Told of each batch of look-ups (DataLoader batches, and `_entities`' synchronous passes). */
  readonly onBatch?: BatchObserver;
  /** The request's trace, when the HTTP layer observes it. */
  readonly trace?: RequestTrace;
}

export interface ContextOptions {
  /** Observe DataLoader batches. */
  readonly onBatch?: BatchObserver | undefined;
  readonly outcome?: Outcome;
  readonly trace?: RequestTrace | undefined;
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
export function createContext(archive: Archive, options: ContextOptions = {}): Context {
  const { onBatch } = options;
  const loader = <T>(type: keyof Loaders, byId: ById<T>): DataLoader<string, T | null> =>
    new DataLoader<string, T | null>(
      async (ids) => {
        onBatch?.(type, ids.length);
        return ids.map((id) => byId.get(id) ?? null);
      },
      // Look-ups are map reads on an immutable archive: a per-request cache would only add work.
      { cache: false, maxBatchSize: Infinity },
    );
  return {
    archive,
    ...(options.outcome ? { outcome: options.outcome } : {}),
    ...(onBatch ? { onBatch } : {}),
    ...(options.trace ? { trace: options.trace } : {}),
    loaders: {
      series: loader('series', archive.seriesById),
      episode: loader('episode', archive.episodeById),
      segment: loader('segment', archive.segmentById),
      turn: loader('turn', archive.turnById),
      speaker: loader('speaker', archive.speakerById),
    },
  };
}
