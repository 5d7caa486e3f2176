/**
 * Transcripts for podcast apps and players: WebVTT, SRT, Podcasting 2.0 JSON and plain text, plus Podcasting 2.0
 * chapters. Times are seconds from the start of the recording, as the timecodes in the files are.
 *
 * Cue sizes follow the Podcasting 2.0 transcript guidance (podcast namespace, transcripts.md): WebVTT lines of at
 * most 65 characters with the speaker in a `<v>` voice tag; SRT cards ("cues") of at most 2 lines of at most 32
 * characters, a new card when the speaker changes, and the speaker's name followed by a colon at the start of
 * that card only (SRT has no voice tag; naming every card would spend a short line on the name again and again).
 */
import type { SegmentFields, TranscriptLine } from '../archive/index.js';

// The schema's enum, as GraphQL Code Generator writes it: a format added to the SDL must be rendered here.
import type { TranscriptFormat } from '../__generated__/resolvers-types.js';

export type { TranscriptFormat };

/** Longest WebVTT cue line, in characters, before a turn is split over more lines and cues. */
export const CUE_LINE_LENGTH = 65;
/** Longest SRT line, in characters, the speaker's name included. */
export const SRT_LINE_LENGTH = 32;
/** Lines per cue. */
const CUE_LINES = 2;

/**
 * A transcript in one of the formats.
 *
 * @example
 * renderTranscript(episode.turns, 'WEBVTT') // 'WEBVTT\n\n00:21:40.433 --> 00:21:50.100\n<v Stefan>And so with…'
 */
export function renderTranscript(turns: readonly TranscriptLine[], format: TranscriptFormat): string {
  switch (format) {
    case 'WEBVTT':
      return webvtt(turns);
    case 'SRT':
      return srt(turns);
    case 'JSON':
      return podcastJson(turns);
    case 'TEXT':
      return plainText(turns);
  }
}

/** A cue: part of a turn, with its share of the turn's time. */
interface Cue {
  readonly start: number;
  readonly end: number;
  readonly speaker: string;
  readonly lines: readonly string[];
}

/** Greedy word wrap; a word longer than a line gets a line of its own. */
export function wrap(text: string, width = CUE_LINE_LENGTH): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (word === '') continue;
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/**
 * Splits each turn into cues of at most two wrapped lines, sharing the turn's time by the characters spoken: a
 * label put before the text (`label(turn)`, e.g. `Ana: `) takes room on the lines but no time.
 */
function cues(
  turns: readonly TranscriptLine[],
  width: number,
  label: (turn: TranscriptLine) => string = () => '',
): Cue[] {
  const out: Cue[] = [];
  for (const turn of turns) {
    const prefix = label(turn);
    const lines = wrap(prefix + turn.text, width);
    // Spoken characters per line: the label's characters (and the space after each line) are not spoken.
    let unspoken = prefix.length;
    const spoken = lines.map((line) => {
      const n = Math.max(0, line.length - unspoken);
      unspoken = Math.max(0, unspoken - line.length - 1);
      return n;
    });
    const total = spoken.reduce((n, l) => n + l, 0) || 1;
    const start = turn.start.seconds;
    const duration = turn.end.seconds - start;
    let done = 0;
    for (let i = 0; i < lines.length; i += CUE_LINES) {
      const from = start + (duration * done) / total;
      for (let k = i; k < i + CUE_LINES && k < lines.length; k++) done += spoken[k]!;
      const to = i + CUE_LINES >= lines.length ? turn.end.seconds : start + (duration * done) / total;
      out.push({ start: from, end: to, speaker: turn.speaker, lines: lines.slice(i, i + CUE_LINES) });
    }
  }
  return out;
}

/** `HH:MM:SS.mmm` (or `,` for SRT), hours at least two digits. */
export function clock(seconds: number, separator: '.' | ',' = '.'): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${separator}${pad(ms % 1000, 3)}`;
}

const escapeVtt = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function webvtt(turns: readonly TranscriptLine[]): string {
  const blocks = cues(turns, CUE_LINE_LENGTH).map((cue) => {
    // A voice annotation is read as written up to '>' (character references are not decoded there), so only
    // '>' and line breaks need care.
    const voice = cue.speaker.replace(/>/g, '\u203a').replace(/[\r\n]+/g, ' ');
    return `${clock(cue.start)} --> ${clock(cue.end)}\n<v ${voice}>${cue.lines.map(escapeVtt).join('\n')}`;
  });
  return ['WEBVTT', ...blocks].join('\n\n') + '\n';
}

/** SRT: the speaker named (`Name: `) where the speaker changes, at the start of the turn's first card. */
function srt(turns: readonly TranscriptLine[]): string {
  let previous: string | null = null;
  const named = (turn: TranscriptLine): string => {
    const changed = turn.speaker !== previous;
    previous = turn.speaker;
    // One line: a name with a line break in it would end the card's text early.
    return changed ? `${turn.speaker.replace(/\s+/g, ' ')}: ` : '';
  };
  return cues(turns, SRT_LINE_LENGTH, named)
    .map((cue, i) => `${i + 1}\n${clock(cue.start, ',')} --> ${clock(cue.end, ',')}\n${cue.lines.join('\n')}\n`)
    .join('\n');
}

const round3 = (seconds: number) => Math.round(seconds * 1000) / 1000;

function podcastJson(turns: readonly TranscriptLine[]): string {
  const segments = turns.map((t) => ({
    speaker: t.speaker,
    startTime: round3(t.start.seconds),
    endTime: round3(t.end.seconds),
    body: t.text,
  }));
  return JSON.stringify({ version: '1.0.0', segments });
}

/** `[MM:SS]` below an hour, `[H:MM:SS]` from the first hour on. */
export function stamp(seconds: number): string {
  const whole = Math.floor(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor(whole / 60) % 60;
  const s = whole % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `[${h}:${pad(m)}:${pad(s)}]` : `[${pad(m)}:${pad(s)}]`;
}

function plainText(turns: readonly TranscriptLine[]): string {
  return turns.map((t) => `${t.speaker} ${stamp(t.start.seconds)}: ${t.text}`).join('\n\n') + '\n';
}

/**
 * Podcasting 2.0 chapters: one chapter per segment, titled by the segment.
 *
 * @example
 * renderChapters(episode.segments) // '{"version":"1.2.0","chapters":[{"startTime":1300.433,"endTime":1606.767,"title":"…"}]}'
 */
export function renderChapters(segments: readonly SegmentFields[]): string {
  const chapters = segments.map((s) => ({
    startTime: round3(s.start.seconds),
    endTime: round3(s.end.seconds),
    title: s.title,
  }));
  return JSON.stringify({ version: '1.2.0', chapters });
}

/** Media types of the downloads, by file extension. */
export const DOWNLOADS: Readonly<Record<string, { format: TranscriptFormat; contentType: string }>> = {
  vtt: { format: 'WEBVTT', contentType: 'text/vtt; charset=utf-8' },
  srt: { format: 'SRT', contentType: 'application/x-subrip; charset=utf-8' },
  json: { format: 'JSON', contentType: 'application/json' },
  txt: { format: 'TEXT', contentType: 'text/plain; charset=utf-8' },
};

export const CHAPTERS_CONTENT_TYPE = 'application/json+chapters';
