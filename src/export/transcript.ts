/**
 * Transcripts for podcast apps and players: WebVTT, SRT, Podcasting 2.0 JSON and plain text, plus Podcasting 2.0
 * chapters. Times are seconds from the start of the recording, as the timecodes in the files are.
 */
import type { SegmentRecord, TurnRecord } from '../archive/types.js';

export type TranscriptFormat = 'TEXT' | 'WEBVTT' | 'SRT' | 'JSON';

/** Longest cue line, in characters, before a turn is split over more lines and cues. */
export const CUE_LINE_LENGTH = 65;
/** Lines per cue. */
const CUE_LINES = 2;

/**
 * A transcript in one of the formats.
 *
 * @example
 * renderTranscript(episode.turns, 'WEBVTT') // 'WEBVTT\n\n00:21:40.433 --> 00:21:50.100\n<v Stefan>And so with…'
 */
export function renderTranscript(list: Iterable<TurnRecord>, format: TranscriptFormat): string {
  const turns = Array.isArray(list) ? (list as readonly TurnRecord[]) : [...list];
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

/** Splits each turn into cues of at most two wrapped lines, sharing the turn's time by characters. */
function cues(turns: readonly TurnRecord[]): Cue[] {
  const out: Cue[] = [];
  for (const turn of turns) {
    const lines = wrap(turn.text);
    const total = lines.reduce((n, l) => n + l.length, 0) || 1;
    const start = turn.start.seconds;
    const duration = turn.end.seconds - start;
    let done = 0;
    for (let i = 0; i < lines.length; i += CUE_LINES) {
      const group = lines.slice(i, i + CUE_LINES);
      const from = start + (duration * done) / total;
      done += group.reduce((n, l) => n + l.length, 0);
      const to = i + CUE_LINES >= lines.length ? turn.end.seconds : start + (duration * done) / total;
      out.push({ start: from, end: to, speaker: turn.speaker.name, lines: group });
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

function webvtt(turns: readonly TurnRecord[]): string {
  const blocks = cues(turns).map((cue) => {
    // A voice annotation is read as written up to '>' (character references are not decoded there), so only
    // '>' and line breaks need care.
    const voice = cue.speaker.replace(/>/g, '\u203a').replace(/[\r\n]+/g, ' ');
    return `${clock(cue.start)} --> ${clock(cue.end)}\n<v ${voice}>${cue.lines.map(escapeVtt).join('\n')}`;
  });
  return ['WEBVTT', ...blocks].join('\n\n') + '\n';
}

function srt(turns: readonly TurnRecord[]): string {
  return cues(turns)
    .map((cue, i) => {
      const body = [`${cue.speaker}: ${cue.lines[0]}`, ...cue.lines.slice(1)].join('\n');
      return `${i + 1}\n${clock(cue.start, ',')} --> ${clock(cue.end, ',')}\n${body}\n`;
    })
    .join('\n');
}

const round3 = (seconds: number) => Math.round(seconds * 1000) / 1000;

function podcastJson(turns: readonly TurnRecord[]): string {
  const segments = turns.map((t) => ({
    speaker: t.speaker.name,
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

function plainText(turns: readonly TurnRecord[]): string {
  return turns.map((t) => `${t.speaker.name} ${stamp(t.start.seconds)}: ${t.text}`).join('\n\n') + '\n';
}

/**
 * Podcasting 2.0 chapters: one chapter per segment, titled by the segment.
 *
 * @example
 * renderChapters(episode.segments) // '{"version":"1.2.0","chapters":[{"startTime":1300.433,"endTime":1606.767,"title":"…"}]}'
 */
export function renderChapters(segments: readonly SegmentRecord[]): string {
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
