/**
 * The sync: makes a PostgreSQL database hold exactly a folder's valid transcripts, as the in-memory archive
 * (src/archive/build.ts, src/archive/store.ts) would serve them. Everything happens in one transaction holding
 * SYNC_LOCK: it commits whole or not at all, and syncs started at once run one after another.
 *
 * Work is by content hash: a file whose bytes hash as `files.content_hash` is not parsed again, and a folder with
 * no change writes nothing. The rules across files (duplicates, first spellings, series order) run over every
 * file's identity, kept in `files`, so they need no unchanged file's rows; only what a change touches is written:
 * - the rows (segment, turns) of files added, changed or deleted, or accepted or refused anew;
 * - the episodes and speakers those rows belong to (recomputed from the database's rows);
 * - every row's `series_ord` when the series order changes (then every speaker's talk time too: its sum runs in
 *   archive order);
 * - `terms.df` by the words of the turns removed and added.
 */
import { episodeId, listTranscriptFiles, realFolder, TranscriptReader } from '../archive/index.js';
import type { ArchiveStats } from '../archive/index.js';
import { compareCodeUnits } from '../lib/order.js';
import { diagnostic, slugify } from '../parser/index.js';
import type { CompactResult, CompactSegment, Diagnostic, DiagnosticCode, Severity } from '../parser/index.js';
import { TermDictionary } from '../search/tokens.js';
import { recomputeEpisodes, syncSpeakers } from './aggregates.js';
import type { Pool, PoolClient } from './client.js';
import { migrate } from './migrate.js';
import { ARCHIVE_CHANNEL, SYNC_LOCK } from './migrations.js';
import { copyArray, copyText, NULL } from './copy.js';
import { copyRows, segmentLines, speakerCounts, turnChunks } from './rows.js';

export interface SyncOptions {
  /** Longest wait for SYNC_LOCK (another sync running) before giving up. Default 30 s. */
  readonly lockTimeoutMs?: number;
  /** Largest accepted file, in bytes. Default 10 MiB. */
  readonly maxBytes?: number;
  /** Abandons the sync (rolled back) at the next step. */
  readonly signal?: AbortSignal;
}

export interface SyncReport {
  readonly ok: true;
  /** Whether this sync wrote a new version (false: the folder had not changed). */
  readonly changed: boolean;
  /** The archive's version after the sync. */
  readonly version: number;
  /** Migrations applied by this sync. */
  readonly migrated: readonly number[];
  /** Files parsed because they were new or changed; files gone; files whose bytes had not changed. */
  readonly read: number;
  readonly removed: number;
  readonly unchanged: number;
  /** Every diagnostic of the folder, in file order (as `npm run validate` prints them). */
  readonly diagnostics: readonly Diagnostic[];
  /** Those of the files read by this sync. */
  readonly fresh: readonly Diagnostic[];
  /** Files with an error: not loaded, or still serving their last good version. */
  readonly rejected: readonly string[];
  /** Broken files still served from their last good version. */
  readonly keptLastGood: readonly string[];
  readonly stats: ArchiveStats;
  readonly ms: number;
}

export interface SyncFailure {
  readonly ok: false;
  /** Nothing was committed. `lock`: another sync held the lock too long; `folder`: the folder cannot be read. */
  readonly reason: 'connect' | 'lock' | 'folder' | 'aborted' | 'database';
  readonly message: string;
  readonly ms: number;
}

export type SyncResult = SyncReport | SyncFailure;

/** The codes of the rules across files: a file's other diagnostics are its own. */
const CROSS_FILE = new Set<DiagnosticCode>(['DUPLICATE_SLUG', 'DUPLICATE_CHUNK']);

const titleCollator = new Intl.Collator('en', { sensitivity: 'accent' });

interface StoredDiagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly line: number;
}

/** A row of transcripts.files as read. */
interface FileRow {
  readonly path: string;
  readonly content_hash: Buffer;
  readonly good_hash: Buffer | null;
  readonly diagnostics: StoredDiagnostic[];
  readonly slug: string | null;
  readonly series: string | null;
  readonly episode: number | null;
  readonly chunk: number | null;
  readonly slug_line: number | null;
  readonly chunk_line: number | null;
  readonly names: string[] | null;
  readonly accepted: boolean;
}

/** A version of a file the archive can load: what the rules across files need, and its parse when at hand. */
interface Version {
  readonly hash: Buffer;
  readonly slug: string;
  readonly series: string;
  readonly episode: number;
  readonly chunk: number;
  readonly slugLine: number;
  readonly chunkLine: number;
  /** Participants, then turn speakers in order of first turn, as spelled. */
  readonly names: readonly string[];
  segment: CompactSegment | null;
}

/** What the sync makes of one file of the folder. */
interface FilePlan {
  readonly path: string;
  readonly hash: Buffer;
  readonly prev: FileRow | undefined;
  /** Parsed because its bytes changed (or it is new). */
  readonly read: boolean;
  /** The diagnostics of the version on disk. */
  readonly own: readonly Diagnostic[];
  /** Whether the version on disk is good (and so is `good`). */
  readonly currentOk: boolean;
  /** The version to load: the one on disk if good, else the last good one, else none. */
  good: Version | null;
  /** `good` is not the version whose rows the database holds. */
  readonly goodIsNew: boolean;
  cross: Diagnostic[];
  accepted: boolean;
}

class SyncError extends Error {
  constructor(
    readonly reason: SyncFailure['reason'],
    message: string,
  ) {
    super(message);
  }
}

const messageOf = (error: unknown): string => {
  if (error instanceof AggregateError && error.message === '') return error.errors.map(messageOf).join('; ');
  if (error instanceof Error) return error.message || String((error as NodeJS.ErrnoException).code ?? error.name);
  return String(error);
};

const versionOfRow = (row: FileRow): Version | null =>
  row.good_hash === null || row.slug === null
    ? null
    : {
        hash: row.good_hash,
        slug: row.slug,
        series: row.series!,
        episode: row.episode!,
        chunk: row.chunk!,
        slugLine: row.slug_line!,
        chunkLine: row.chunk_line!,
        names: row.names ?? [],
        segment: null,
      };

const versionOfSegment = (hash: Buffer, s: CompactSegment): Version => ({
  hash,
  slug: s.slug,
  series: s.series,
  episode: s.episode,
  chunk: s.chunk,
  slugLine: s.lines.slug,
  chunkLine: s.lines.chunk,
  names: [...s.participants, ...s.turns.names],
  segment: s,
});

const stored = (d: Diagnostic): StoredDiagnostic => ({
  code: d.code,
  severity: d.severity,
  message: d.message,
  line: d.line,
});

/** A file's diagnostics in print order: a good version's cross-file ones before its warnings (as the build). */
const diagnosticsOf = (plan: FilePlan): Diagnostic[] =>
  plan.currentOk ? [...plan.cross, ...plan.own] : [...plan.own, ...plan.cross];

/** A file whose bytes hash as its row says: planned from the row (parsed only if it may load now). */
function unchangedPlan(path: string, prev: FileRow, file: { hash: Buffer; parse(): CompactResult }): FilePlan {
  const last = versionOfRow(prev);
  const currentOk = last !== null && last.hash.equals(file.hash);
  const good = currentOk || prev.accepted ? last : null;
  // A refused version on disk may be accepted now (the file it lost to changed): its rows need its parse.
  if (good && currentOk && !prev.accepted) {
    const again = file.parse();
    if (again.ok) good.segment = again.segment;
  }
  const own = prev.diagnostics.filter((d) => !CROSS_FILE.has(d.code)).map((d) => ({ ...d, file: path }));
  return {
    path,
    hash: file.hash,
    prev,
    read: false,
    own,
    currentOk,
    good,
    goodIsNew: false,
    cross: [],
    accepted: false,
  };
}

/** A new or changed file, parsed. */
function changedPlan(path: string, prev: FileRow | undefined, hash: Buffer, result: CompactResult): FilePlan {
  const plan = { path, hash, prev, read: true, cross: [], accepted: false };
  if (result.ok) {
    // Back to the version whose rows are loaded (fixed after a break): they stay.
    const goodIsNew = !(prev?.good_hash?.equals(hash) ?? false);
    const good = versionOfSegment(hash, result.segment);
    return { ...plan, own: result.warnings, currentOk: true, good, goodIsNew };
  }
  // Broken now: the last good version, if any, is what loads (as live reload keeps it). Only a loaded one: a refused
  // one's bytes are gone, and the schema keeps no bytes (live reload would keep it in memory).
  const good = prev?.accepted ? versionOfRow(prev) : null;
  return { ...plan, own: [...result.errors, ...result.warnings], currentOk: false, good, goodIsNew: false };
}

/**
 * The rules across files, as the build's acceptUnique, over files in load order: a version whose slug or (series,
 * episode, chunk) an earlier accepted one took is refused; the others are accepted.
 */
function applyCrossFileRules(plans: readonly FilePlan[]): void {
  const slugOwner = new Map<string, string>();
  const chunkOwner = new Map<string, string>();
  for (const plan of plans) {
    const good = plan.good;
    if (!good) continue;
    const cross: Diagnostic[] = [];
    const slugTakenBy = slugOwner.get(good.slug);
    if (slugTakenBy !== undefined) {
      cross.push(diagnostic('DUPLICATE_SLUG', plan.path, good.slugLine, good.slug, slugTakenBy));
    }
    const chunkKey = `${slugify(good.series)}\u0000${good.episode}\u0000${good.chunk}`;
    const chunkTakenBy = chunkOwner.get(chunkKey);
    if (chunkTakenBy !== undefined) {
      cross.push(
        diagnostic('DUPLICATE_CHUNK', plan.path, good.chunkLine, good.series, good.episode, good.chunk, chunkTakenBy),
      );
    }
    if (cross.length > 0) {
      // A last good version refused now is forgotten: its rows go, and it could not be loaded again later.
      if (!plan.currentOk) plan.good = null;
      else plan.cross = cross;
      continue;
    }
    slugOwner.set(good.slug, plan.path);
    chunkOwner.set(chunkKey, plan.path);
    plan.accepted = true;
  }
}

/**
 * Syncs `dataDir` into the database behind `pool`. Never throws: a failure comes back as `{ ok: false }`, with
 * nothing committed.
 *
 * @example
 * const result = await syncFolder(pool, 'data');
 * if (result.ok) console.log(result.version, result.rejected);
 */
export async function syncFolder(pool: Pool, dataDir: string, options: SyncOptions = {}): Promise<SyncResult> {
  const startedAt = performance.now();
  const ms = (): number => Math.round(performance.now() - startedAt);
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    return { ok: false, reason: 'connect', message: `cannot connect to the database: ${messageOf(error)}`, ms: ms() };
  }
  let broken = false;
  try {
    const report = await run(client, dataDir, options, startedAt);
    return report;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => (broken = true));
    if (error instanceof SyncError) return { ok: false, reason: error.reason, message: error.message, ms: ms() };
    if (options.signal?.aborted) return { ok: false, reason: 'aborted', message: 'sync abandoned', ms: ms() };
    return { ok: false, reason: 'database', message: messageOf(error), ms: ms() };
  } finally {
    // A connection whose rollback failed is not handed to anyone else.
    client.release(broken);
  }
}

async function run(client: PoolClient, dataDir: string, options: SyncOptions, startedAt: number): Promise<SyncReport> {
  const signal = options.signal;
  const lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
  await client.query('BEGIN');
  // Bounds every lock wait of the transaction, the advisory lock's first.
  await client.query("SELECT set_config('lock_timeout', $1, true)", [`${Math.max(1, Math.round(lockTimeoutMs))}ms`]);
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SYNC_LOCK]);
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') {
      throw new SyncError('lock', `another sync held the lock for more than ${lockTimeoutMs} ms`);
    }
    throw error;
  }
  // Room for the sorts and the GIN index's pending list of a big load (this transaction only).
  await client.query(
    "SELECT set_config('work_mem', '128MB', true), set_config('maintenance_work_mem', '256MB', true), " +
      "set_config('gin_pending_list_limit', '65536', true)",
  );
  const migrated = await migrate(client);
  signal?.throwIfAborted();

  const { rows: fileRows } = await client.query<FileRow>(
    `SELECT path, content_hash, good_hash, diagnostics, slug, series, episode, chunk, slug_line, chunk_line, names,
            accepted
       FROM transcripts.files`,
  );
  const prevByPath = new Map(fileRows.map((row) => [row.path, row]));
  const { rows: archiveRows } = await client.query<{ version: string } & Record<keyof ArchiveStats, number>>(
    'SELECT version, series, episodes, segments, turns, speakers, files, errors, warnings FROM transcripts.archive',
  );
  const archiveRow = archiveRows[0];

  // The folder: every file hashed, the new and changed ones parsed.
  let names: string[];
  let realDataDir: string;
  try {
    realDataDir = await realFolder(dataDir);
    names = await listTranscriptFiles(dataDir);
  } catch (error) {
    throw new SyncError('folder', `cannot read ${dataDir}: ${messageOf(error)}`);
  }
  const reader = new TranscriptReader(dataDir, { maxBytes: options.maxBytes, realDataDir });
  const plans: FilePlan[] = [];
  let read = 0;
  for (const path of names) {
    if ((plans.length & 255) === 0) signal?.throwIfAborted();
    const prev = prevByPath.get(path);
    const file = reader.readHashed(path);
    if (prev && prev.content_hash.equals(file.hash)) {
      plans.push(unchangedPlan(path, prev, file));
    } else {
      read++;
      plans.push(changedPlan(path, prev, file.hash, file.parse()));
    }
  }
  const present = new Set(names);
  const gone = fileRows.filter((row) => !present.has(row.path));

  if (read === 0 && gone.length === 0 && archiveRow !== undefined) {
    // Nothing changed: nothing is written (no version, no notification); the report comes from what is stored.
    await client.query(migrated.length > 0 ? 'COMMIT' : 'ROLLBACK');
    const diagnostics = names.flatMap((path) =>
      prevByPath.get(path)!.diagnostics.map((d): Diagnostic => ({ ...d, file: path })),
    );
    const { version, ...stats } = archiveRow;
    return {
      ok: true,
      changed: false,
      version: Number(version),
      migrated,
      read: 0,
      removed: 0,
      unchanged: names.length,
      diagnostics,
      fresh: [],
      rejected: rejectedOf(diagnostics),
      keptLastGood: plans.filter((p) => p.prev!.accepted && !p.currentOk).map((p) => p.path),
      stats,
      ms: Math.round(performance.now() - startedAt),
    };
  }

  applyCrossFileRules(plans);

  // Which rows go and which come.
  const loadedBefore = (plan: FilePlan): boolean => plan.prev?.accepted ?? false;
  const dropped = [
    ...gone.filter((row) => row.accepted),
    ...plans.filter((p) => loadedBefore(p) && (!p.accepted || p.goodIsNew)).map((p) => p.prev!),
  ];
  const added = plans.filter((p) => p.accepted && (p.goodIsNew || !loadedBefore(p)));
  for (const plan of added) {
    if (!plan.good!.segment) throw new Error(`internal: ${plan.path} is to be loaded but was not parsed`);
  }

  // Series: the first spelling in load order, ranked by title, then id.
  const seriesTitles = new Map<string, string>();
  const speakerNames = new Map<string, string>();
  for (const plan of plans) {
    if (!plan.accepted) continue;
    const id = slugify(plan.good!.series);
    if (!seriesTitles.has(id)) seriesTitles.set(id, plan.good!.series);
    for (const name of plan.good!.names) {
      const speakerId = slugify(name);
      if (!speakerNames.has(speakerId)) speakerNames.set(speakerId, name);
    }
  }
  const seriesOrder = [...seriesTitles]
    .sort(([a, ta], [b, tb]) => titleCollator.compare(ta, tb) || compareCodeUnits(a, b))
    .map(([id]) => id);
  const ordOf = new Map(seriesOrder.map((id, ord) => [id, ord]));
  // Each segment's position in its episode (by chunk), known from the files' identities alone.
  const episodeChunks = new Map<string, FilePlan[]>();
  for (const plan of plans) {
    if (!plan.accepted) continue;
    const key = episodeId(slugify(plan.good!.series), plan.good!.episode);
    const list = episodeChunks.get(key);
    if (list) list.push(plan);
    else episodeChunks.set(key, [plan]);
  }
  const idxOf = new Map<string, number>();
  for (const list of episodeChunks.values()) {
    list.sort((a, b) => a.good!.chunk - b.good!.chunk).forEach((plan, idx) => idxOf.set(plan.path, idx));
  }

  const touchedEpisodes = new Set<string>();
  const touchedSpeakers = new Set<string>();
  for (const row of dropped) {
    touchedEpisodes.add(episodeId(slugify(row.series!), row.episode!));
    for (const name of row.names ?? []) touchedSpeakers.add(slugify(name));
  }
  for (const plan of added) {
    touchedEpisodes.add(episodeId(slugify(plan.good!.series), plan.good!.episode));
    for (const name of plan.good!.names) touchedSpeakers.add(slugify(name));
  }
  signal?.throwIfAborted();

  // A load into an empty archive (a first sync) builds the GIN indexes after the rows, in one go (several times
  // cheaper than entry by entry; dropping them locks the tables, which no replica reads yet: they have no rows), and
  // counts the speakers from the files in memory, which hold every turn.
  const bulk =
    added.length > 0 &&
    !fileRows.some((row) => row.accepted) &&
    (await client.query('SELECT NOT EXISTS (SELECT 1 FROM transcripts.turns) AS empty')).rows[0].empty === true;

  // 1. Rows that go, and the words they took from the document frequencies.
  const dfDelta = new Map<string, number>();
  const droppedSlugs = dropped.map((row) => row.slug!);
  if (droppedSlugs.length > 0) {
    const { rows } = await client.query<{ term: string; n: number }>(
      `SELECT u.lexeme AS term, count(*)::int AS n
         FROM transcripts.turns t, unnest(t.tokens) u
        WHERE t.segment_id = ANY($1)
        GROUP BY u.lexeme`,
      [droppedSlugs],
    );
    for (const { term, n } of rows) dfDelta.set(term, -n);
    await client.query('DELETE FROM transcripts.turns WHERE segment_id = ANY($1)', [droppedSlugs]);
    await client.query('DELETE FROM transcripts.segments WHERE id = ANY($1)', [droppedSlugs]);
  }
  // Episodes left without segments go now, before any series_ord moves (their numbers could collide).
  await client.query(
    `DELETE FROM transcripts.episodes e
      WHERE e.id = ANY($1)
        AND NOT EXISTS (SELECT 1 FROM transcripts.segments s
                         WHERE s.series_ord = e.series_ord AND s.episode_number = e.number)`,
    [[...touchedEpisodes]],
  );

  // 2. Series: gone ones deleted, moved ones renumbered (through negative numbers: ords are unique), then titles.
  const { rows: seriesRows } = await client.query<{ id: string; title: string; ord: number }>(
    'SELECT id, title, ord FROM transcripts.series',
  );
  await client.query('DELETE FROM transcripts.series WHERE NOT (id = ANY($1))', [seriesOrder]);
  const moved = seriesRows.filter((s) => ordOf.has(s.id) && ordOf.get(s.id) !== s.ord);
  if (moved.length > 0) {
    const staying = seriesRows.filter((s) => ordOf.has(s.id)).map((s) => s.ord);
    await renumberSeries(
      client,
      moved.map((s) => ({ from: s.ord, to: ordOf.get(s.id)! })),
      staying,
    );
  }
  const known = new Map(seriesRows.map((s) => [s.id, s.title]));
  const seriesChanges = seriesOrder.filter((id) => known.get(id) !== seriesTitles.get(id));
  if (seriesChanges.length > 0) {
    await client.query(
      `INSERT INTO transcripts.series (id, title, ord)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[])
       ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title`,
      [seriesChanges, seriesChanges.map((id) => seriesTitles.get(id)!), seriesChanges.map((id) => ordOf.get(id)!)],
    );
  }
  signal?.throwIfAborted();

  // 3. Rows that come: segments, then turns (with their words), by COPY.
  const dictionary = new TermDictionary();
  const addedTerms: number[] = [];
  if (added.length > 0) {
    const rebuild = bulk ? await dropGinIndexes(client) : [];
    await copyRows(
      client,
      `COPY transcripts.segments (id, episode_id, series_id, series_ord, episode_number, chunk, idx, file, title,
         description, summary, fps, start_smpte, start_seconds, end_smpte, end_seconds, duration_seconds, topics, tags,
         topic_tags, entities, mentions, topics_folded, tags_folded, entities_folded, mentions_folded, speaker_ids,
         participant_ids, word_count, turn_count) FROM STDIN`,
      segmentLines(segmentsOf(added), ordOf, idxOf),
      signal,
    );
    await copyRows(
      client,
      `COPY transcripts.turns (segment_id, number, episode_id, series_ord, episode_number, chunk, speaker_id,
         start_smpte, start_seconds, end_smpte, end_seconds, word_count, text, tokens, token_count)
       FROM STDIN (FORMAT binary)`,
      turnChunks(segmentsOf(added), ordOf, dictionary, addedTerms),
      signal,
    );
    if (bulk) {
      await client.query("SELECT set_config('maintenance_work_mem', '512MB', true)");
      for (const definition of rebuild) await client.query(definition);
    } else {
      // Merged into the index now, so searches never scan a long pending list.
      await client.query("SELECT gin_clean_pending_list('transcripts.turns_tokens'::regclass)");
    }
  }
  for (let id = 0; id < addedTerms.length; id++) {
    const n = addedTerms[id] ?? 0;
    if (n === 0) continue;
    const term = dictionary.terms[id]!;
    dfDelta.set(term, (dfDelta.get(term) ?? 0) + n);
  }

  // 4. Episodes whose segments changed: recomputed from their segments' rows.
  await recomputeEpisodes(client, [...touchedEpisodes]);
  signal?.throwIfAborted();

  // 5. Speakers: names are first spellings; counts are recomputed for those whose turns changed (every one when
  // the series order changed, since talk time is a sum in archive order).
  await syncSpeakers(
    client,
    speakerNames,
    moved.length > 0 ? null : touchedSpeakers,
    bulk ? speakerCounts(segmentsOf(added), ordOf) : null,
  );

  // 6. Document frequencies.
  const changedTerms = [...dfDelta].filter(([, n]) => n !== 0);
  if (changedTerms.length > 0) {
    await client.query(
      `INSERT INTO transcripts.terms (term, df) SELECT * FROM unnest($1::text[], $2::int[])
       ON CONFLICT (term) DO UPDATE SET df = transcripts.terms.df + EXCLUDED.df`,
      [changedTerms.map(([t]) => t), changedTerms.map(([, n]) => n)],
    );
    const fewer = changedTerms.filter(([, n]) => n < 0).map(([t]) => t);
    if (fewer.length > 0) {
      await client.query('DELETE FROM transcripts.terms WHERE term = ANY($1) AND df <= 0', [fewer]);
    }
  }

  // 7. Files: each one's hashes, diagnostics and loaded identity.
  const diagnostics: Diagnostic[] = [];
  const fresh: Diagnostic[] = [];
  const fileChanges: FileRowOut[] = [];
  const newFiles: FileRowOut[] = [];
  for (const plan of plans) {
    const fileDiagnostics = diagnosticsOf(plan);
    diagnostics.push(...fileDiagnostics);
    if (plan.read) fresh.push(...fileDiagnostics);
    const good = plan.good;
    const row = {
      path: plan.path,
      content_hash: `\\x${plan.hash.toString('hex')}`,
      good_hash: good ? `\\x${good.hash.toString('hex')}` : null,
      diagnostics: fileDiagnostics.map(stored),
      slug: good?.slug ?? null,
      series: good?.series ?? null,
      episode: good?.episode ?? null,
      chunk: good?.chunk ?? null,
      slug_line: good?.slugLine ?? null,
      chunk_line: good?.chunkLine ?? null,
      names: good?.names ?? null,
      accepted: plan.accepted,
    };
    if (!plan.prev) newFiles.push(row);
    else if (!sameFileRow(plan.prev, row)) fileChanges.push(row);
  }
  // New files by COPY (a first sync has thousands), changed ones by an upsert.
  if (newFiles.length > 0) {
    await copyRows(
      client,
      `COPY transcripts.files (path, content_hash, good_hash, diagnostics, slug, series, episode, chunk, slug_line,
         chunk_line, names, accepted) FROM STDIN`,
      newFiles.map(fileLine),
      signal,
    );
  }
  if (fileChanges.length > 0) {
    await client.query(
      `INSERT INTO transcripts.files SELECT * FROM json_populate_recordset(NULL::transcripts.files, $1)
       ON CONFLICT (path) DO UPDATE SET content_hash = EXCLUDED.content_hash, good_hash = EXCLUDED.good_hash,
         diagnostics = EXCLUDED.diagnostics, slug = EXCLUDED.slug, series = EXCLUDED.series,
         episode = EXCLUDED.episode, chunk = EXCLUDED.chunk, slug_line = EXCLUDED.slug_line,
         chunk_line = EXCLUDED.chunk_line, names = EXCLUDED.names, accepted = EXCLUDED.accepted`,
      [JSON.stringify(fileChanges)],
    );
  }
  if (gone.length > 0) {
    await client.query('DELETE FROM transcripts.files WHERE path = ANY($1)', [gone.map((row) => row.path)]);
  }

  // 8. The archive row, and the notification (delivered at commit).
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const version = Number(archiveRow?.version ?? 0) + 1;
  const { rows: counted } = await client.query<Omit<ArchiveStats, 'files' | 'errors' | 'warnings'>>(
    `INSERT INTO transcripts.archive (singleton, version, synced_at, series, episodes, segments, turns, speakers,
       files, errors, warnings, tokens)
     SELECT true, $1, now(), (SELECT count(*) FROM transcripts.series), (SELECT count(*) FROM transcripts.episodes),
       (SELECT count(*) FROM transcripts.segments), (SELECT count(*) FROM transcripts.turns),
       (SELECT count(*) FROM transcripts.speakers), $2, $3, $4,
       (SELECT coalesce(sum(token_count), 0) FROM transcripts.turns)
     ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version, synced_at = EXCLUDED.synced_at,
       series = EXCLUDED.series, episodes = EXCLUDED.episodes, segments = EXCLUDED.segments, turns = EXCLUDED.turns,
       speakers = EXCLUDED.speakers, files = EXCLUDED.files, errors = EXCLUDED.errors, warnings = EXCLUDED.warnings,
       tokens = EXCLUDED.tokens
     RETURNING series, episodes, segments, turns, speakers`,
    [version, names.length, errors, diagnostics.length - errors],
  );
  await client.query('SELECT pg_notify($1, $2)', [ARCHIVE_CHANNEL, String(version)]);
  // The last moment to abandon: after COMMIT the sync has happened.
  signal?.throwIfAborted();
  await client.query('COMMIT');
  return {
    ok: true,
    changed: true,
    version,
    migrated,
    read,
    removed: gone.length,
    unchanged: names.length - read,
    diagnostics,
    fresh,
    rejected: rejectedOf(diagnostics),
    keptLastGood: plans.filter((p) => p.accepted && !p.currentOk).map((p) => p.path),
    stats: { ...counted[0]!, files: names.length, errors, warnings: diagnostics.length - errors },
    ms: Math.round(performance.now() - startedAt),
  };
}

/**
 * Drops the GIN indexes of the turns and segments tables (the schema's `turns_tokens`, `segments_speakers`, ...)
 * and returns the statements that make them again, as the server writes them (pg_get_indexdef): the transaction
 * ends with the schema it started with.
 */
async function dropGinIndexes(client: PoolClient): Promise<string[]> {
  const { rows } = await client.query<{ name: string; definition: string }>(
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
      WHERE i.indrelid IN ('transcripts.turns'::regclass, 'transcripts.segments'::regclass) AND a.amname = 'gin'
      ORDER BY c.relname`,
  );
  for (const { name } of rows) await client.query(`DROP INDEX transcripts.${client.escapeIdentifier(name)}`);
  return rows.map((row) => row.definition);
}

/**
 * Moves series from one rank to another: the series row and every row that copies its rank. Each row is written
 * once (a new series sorting first moves every other one: all their turns): ranks are unique, so a series moves
 * only into a free rank, the chain behind it following; a cycle is broken through a negative rank.
 */
async function renumberSeries(
  client: PoolClient,
  moves: readonly { from: number; to: number }[],
  taken: readonly number[],
): Promise<void> {
  const occupied = new Set(taken);
  const pending = new Map(moves.map((m) => [m.from, m.to]));
  const move = async (from: number, to: number) => {
    await client.query('UPDATE transcripts.series SET ord = $2 WHERE ord = $1', [from, to]);
    for (const table of ['episodes', 'segments', 'turns']) {
      await client.query(`UPDATE transcripts.${table} SET series_ord = $2 WHERE series_ord = $1`, [from, to]);
    }
    occupied.delete(from);
    occupied.add(to);
  };
  while (pending.size > 0) {
    const free = [...pending].find(([, to]) => !occupied.has(to));
    if (free) {
      await move(free[0], free[1]);
      pending.delete(free[0]);
      continue;
    }
    // Every target is taken by another series still to move: a cycle. One of them steps aside.
    const [from, to] = pending.entries().next().value!;
    const aside = -1 - from;
    await move(from, aside);
    pending.delete(from);
    pending.set(aside, to);
  }
}

const segmentsOf = (plans: readonly FilePlan[]): CompactSegment[] => plans.map((plan) => plan.good!.segment!);

/** Files with an error, each once, in file order. */
function rejectedOf(diagnostics: readonly Diagnostic[]): string[] {
  return [...new Set(diagnostics.filter((d) => d.severity === 'error').map((d) => d.file))];
}

/** A row of transcripts.files to write (hashes as bytea's hex text). */
type FileRowOut = Pick<FileRow, 'path' | 'slug' | 'series' | 'episode' | 'chunk' | 'slug_line' | 'chunk_line'> & {
  readonly content_hash: string;
  readonly good_hash: string | null;
  readonly diagnostics: StoredDiagnostic[];
  readonly names: readonly string[] | null;
  readonly accepted: boolean;
};

/** A files row in COPY's text format. */
function fileLine(row: FileRowOut): string {
  const text = (value: string | null) => (value === null ? NULL : copyText(value));
  const number = (value: number | null) => (value === null ? NULL : String(value));
  return (
    [
      copyText(row.path),
      copyText(row.content_hash),
      text(row.good_hash),
      copyText(JSON.stringify(row.diagnostics)),
      text(row.slug),
      text(row.series),
      number(row.episode),
      number(row.chunk),
      number(row.slug_line),
      number(row.chunk_line),
      row.names === null ? NULL : copyArray(row.names),
      row.accepted ? 't' : 'f',
    ].join('\t') + '\n'
  );
}

function sameFileRow(prev: FileRow, row: FileRowOut): boolean {
  const hex = (b: Buffer | null) => (b === null ? null : `\\x${b.toString('hex')}`);
  const key = (ds: readonly StoredDiagnostic[]) =>
    ds.map((d) => `${d.code}\u0000${d.severity}\u0000${d.line}\u0000${d.message}`).join('\u0001');
  return (
    hex(prev.content_hash) === row.content_hash &&
    hex(prev.good_hash) === row.good_hash &&
    key(prev.diagnostics) === key(row.diagnostics) &&
    prev.slug === row.slug &&
    prev.series === row.series &&
    prev.episode === row.episode &&
    prev.chunk === row.chunk &&
    prev.slug_line === row.slug_line &&
    prev.chunk_line === row.chunk_line &&
    JSON.stringify(prev.names) === JSON.stringify(row.names) &&
    prev.accepted === row.accepted
  );
}
