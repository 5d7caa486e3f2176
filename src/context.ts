/**
 * Per-request context: the source the request reads (one archive version for the request's whole life, even if a
 * reload or a sync brings a newer one meanwhile) and DataLoaders that batch entity look-ups, so a router's
 * `_entities` call with a thousand representations is one batch per type (map reads in memory, one query each in
 * PostgreSQL).
 */
import DataLoader from 'dataloader';

import {
  memorySource,
  type Archive,
  type EpisodeFields,
  type Maybe,
  type SegmentFields,
  type SeriesFields,
  type Source,
  type SpeakerFields,
  type TurnFields,
} from './archive/index.js';

export interface Loaders {
  readonly series: DataLoader<string, SeriesFields | null>;
  readonly episode: DataLoader<string, EpisodeFields | null>;
  readonly segment: DataLoader<string, SegmentFields | null>;
  readonly turn: DataLoader<string, TurnFields | null>;
  readonly speaker: DataLoader<string, SpeakerFields | null>;
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
  /** What the request reads. */
  readonly source: Source;
  /** The in-memory archive when that is the backend (fast paths read it directly); absent over PostgreSQL. */
  readonly archive?: Archive;
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
export function createContext(from: Source | Archive, options: ContextOptions = {}): Context {
  const { onBatch } = options;
  const source: Source = 'key' in from ? from : memorySource(from);
  const loader = <T>(
    type: keyof Loaders,
    byIds: (ids: readonly string[]) => Maybe<readonly (T | null)[]>,
  ): DataLoader<string, T | null> =>
    new DataLoader<string, T | null>(
      async (ids) => {
        onBatch?.(type, ids.length);
        return byIds(ids);
      },
      // Records of an immutable archive version: a per-request cache would only add work (and memory).
      { cache: false, maxBatchSize: Infinity },
    );
  return {
    source,
    ...(source.archive ? { archive: source.archive } : {}),
    ...(options.outcome ? { outcome: options.outcome } : {}),
    ...(onBatch ? { onBatch } : {}),
    ...(options.trace ? { trace: options.trace } : {}),
    loaders: {
      series: loader('series', (ids) => source.seriesByIds(ids)),
      episode: loader('episode', (ids) => source.episodesByIds(ids)),
      segment: loader('segment', (ids) => source.segmentsByIds(ids)),
      turn: loader('turn', (ids) => source.turnsByIds(ids)),
      speaker: loader('speaker', (ids) => source.speakersByIds(ids)),
    },
  };
}
