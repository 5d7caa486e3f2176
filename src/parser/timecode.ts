/**
 * Timecodes as transcripts write them, and their value in seconds.
 *
 * Accepted forms: `HH:MM:SS:FF` (non-drop frames), `HH:MM:SS;FF` (drop-frame, fps 30 or 60 only, meaning
 * 29.97 or 59.94), `HH:MM:SS.mmm` and `HH:MM:SS`. Hours take one to three digits (live marathons run past
 * ten hours); minutes and seconds take two digits and must be below 60; frames must be below fps.
 */

import { detach } from './text.js';

/** A timecode as written in the file, with its value in seconds from the start of the recording. */
export interface Timecode {
  /** The timecode exactly as written, e.g. `00:21:40:13`. */
  readonly smpte: string;
  /** Seconds from the start of the recording. */
  readonly seconds: number;
}

/** Why a timecode was refused; the caller turns it into a diagnostic. */
export type TimecodeFailure =
  | { readonly kind: 'malformed' }
  | { readonly kind: 'out-of-range'; readonly reason: string }
  | { readonly kind: 'drop-frame-fps' };

export type TimecodeResult =
  { readonly ok: true; readonly value: Timecode } | ({ readonly ok: false } & TimecodeFailure);

/** What a well-formed timecode looks like, for error messages. */
export const TIMECODE_FORMS = 'HH:MM:SS:FF, HH:MM:SS;FF, HH:MM:SS.mmm or HH:MM:SS';

const TIMECODE = /^(\d{1,3}):(\d{2}):(\d{2})(?:([:;])(\d{1,3})|\.(\d{1,9}))?$/;
// Between the two timecodes of a range: a hyphen, an en dash, or WebVTT's arrow, spaces optional.
const RANGE_SEPARATOR = /\s*(?:-->|[-\u2013])\s*/;

/**
 * Parses one timecode at a frame rate.
 *
 * @example
 * parseTimecode('00:21:40:13', 30) // { ok: true, value: { smpte: '00:21:40:13', seconds: 1300.4333… } }
 * parseTimecode('00:61:00:00', 30) // { ok: false, kind: 'out-of-range', reason: 'minutes must be below 60' }
 */
export function parseTimecode(text: string, fps: number): TimecodeResult {
  const m = TIMECODE.exec(text);
  if (!m) return { ok: false, kind: 'malformed' };
  const smpte = detach(text);
  const hours = Number(m[1]);
  const minutes = Number(m[2]);
  const secs = Number(m[3]);
  if (minutes >= 60) return { ok: false, kind: 'out-of-range', reason: 'minutes must be below 60' };
  if (secs >= 60) return { ok: false, kind: 'out-of-range', reason: 'seconds must be below 60' };
  const whole = hours * 3600 + minutes * 60 + secs;
  const separator = m[4];
  if (separator === undefined) {
    const fraction = m[6] === undefined ? 0 : Number(`0.${m[6]}`);
    return { ok: true, value: { smpte, seconds: whole + fraction } };
  }
  const frames = Number(m[5]);
  if (frames >= fps) return { ok: false, kind: 'out-of-range', reason: `frames must be below fps (${fps})` };
  if (separator === ':') {
    // One division over the whole frame count keeps float noise to a single rounding.
    return { ok: true, value: { smpte, seconds: (whole * fps + frames) / fps } };
  }
  if (fps !== 30 && fps !== 60) return { ok: false, kind: 'drop-frame-fps' };
  // Drop-frame: frame labels 0..1 (0..3 at 60) are skipped at the start of every minute except each tenth.
  const dropped = fps / 15;
  const totalMinutes = hours * 60 + minutes;
  if (secs === 0 && minutes % 10 !== 0 && frames < dropped) {
    return { ok: false, kind: 'out-of-range', reason: `frame ${frames} does not exist in drop-frame at this minute` };
  }
  const frameNumber = whole * fps + frames - dropped * (totalMinutes - Math.floor(totalMinutes / 10));
  return { ok: true, value: { smpte, seconds: (frameNumber * 1001) / (fps * 1000) } };
}

/** A `start - end` range split into its two texts, or null when there is no separator. */
export function splitTimecodeRange(text: string): { start: string; end: string } | null {
  const parts = text.trim().split(RANGE_SEPARATOR);
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return null;
  return { start: parts[0]!, end: parts[1]! };
}

/** Whether a line is meant as a turn's timecode line: it starts like a timecode (digits, then a colon). */
export function looksLikeTimecodeLine(line: string): boolean {
  return /^\d{1,3}:\d/.test(line);
}

/** Rounds away float noise from sums and differences of seconds (nanosecond precision). */
export function roundSeconds(seconds: number): number {
  return Math.round(seconds * 1e9) / 1e9;
}

/** Whether a timecode is written in the canonical `HH:MM:SS:FF` form, two digits each. */
export function isCanonicalTimecode(text: string): boolean {
  return /^\d\d:\d\d:\d\d:\d\d$/.test(text);
}
