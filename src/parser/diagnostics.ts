/**
 * The one catalogue of diagnostics. Every problem the parser or the archive reports is built here, so a
 * code always comes with the same severity and the same wording, and `validate`, the logs and `/health`
 * all speak one language.
 */

/** How bad a diagnostic is: an error rejects the file, a warning lets it load. */
export type Severity = 'error' | 'warning';

/** A problem found in one file, at one line. */
export interface Diagnostic {
  /** Stable, machine-readable code such as `TIMECODE_MALFORMED`. */
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  /** Human-readable, one line, no trailing period. */
  readonly message: string;
  /** Path relative to the data folder, with `/` separators. */
  readonly file: string;
  /** 1-based line number; whole-file problems point at line 1. */
  readonly line: number;
}

const q = (value: string): string => JSON.stringify(value);

/** Each entry: severity and a message builder whose parameters are what that message needs. */
const catalogue = {
  // The file as a whole.
  FILE_TOO_LARGE: {
    severity: 'error',
    message: (bytes: number, limit: number) => `file is ${bytes} bytes, over the limit of ${limit} bytes`,
  },
  FILE_BINARY: {
    severity: 'error',
    message: () => 'file is binary, not text (it contains a NUL byte)',
  },
  FILE_NOT_UTF8: {
    severity: 'error',
    message: (offset: number) => `file is not valid UTF-8 (first bad byte at offset ${offset})`,
  },
  FILE_UNREADABLE: {
    severity: 'error',
    message: (reason: string) => `file cannot be read: ${reason}`,
  },
  FILE_OUTSIDE_DATA_DIR: {
    severity: 'error',
    // The target is not named: the data folder's diagnostics are logged and printed, the rest of the disk is not theirs.
    message: (link: string) => `link ${q(link)} resolves outside the data folder, so it is not read`,
  },
  // Front matter.
  FRONT_MATTER_MISSING: {
    severity: 'error',
    message: () => 'file does not start with front matter (a "---" line, YAML, then a closing "---" line)',
  },
  FRONT_MATTER_UNCLOSED: {
    severity: 'error',
    message: () => 'front matter opened here is never closed by a "---" line',
  },
  FRONT_MATTER_LANGUAGE: {
    severity: 'error',
    message: (language: string) => `front matter language ${q(language)} is not supported: only YAML is read`,
  },
  YAML_SYNTAX: {
    severity: 'error',
    message: (reason: string) => `front matter is not valid YAML: ${reason}`,
  },
  FRONT_MATTER_NOT_MAPPING: {
    severity: 'error',
    message: () => 'front matter must be a YAML mapping of keys to values',
  },
  REQUIRED_KEY_MISSING: {
    severity: 'error',
    message: (key: string) => `required front-matter key ${q(key)} is missing`,
  },
  KEY_TYPE: {
    severity: 'error',
    message: (key: string, expected: string, got: string) =>
      `front-matter key ${q(key)} must be ${expected}, got ${got}`,
  },
  SLUG_EMPTY: {
    severity: 'error',
    message: (what: string, value: string) => `${what} ${q(value)} has no letters or digits, so it cannot make an id`,
  },
  UNKNOWN_KEY: {
    severity: 'warning',
    message: (key: string) => `front-matter key ${q(key)} is not known and is ignored`,
  },
  // Timecodes.
  TIMECODE_MALFORMED: {
    severity: 'error',
    message: (text: string, expected: string) => `timecode ${q(text)} is malformed: expected ${expected}`,
  },
  TIMECODE_OUT_OF_RANGE: {
    severity: 'error',
    message: (text: string, reason: string) => `timecode ${q(text)} is out of range: ${reason}`,
  },
  TIMECODE_DROP_FRAME_FPS: {
    severity: 'error',
    message: (text: string, fps: number) =>
      `drop-frame timecode ${q(text)} needs fps 30 or 60 (29.97 or 59.94), but fps is ${fps}`,
  },
  TIMECODE_REVERSED: {
    severity: 'error',
    message: (start: string, end: string) => `end ${q(end)} is before start ${q(start)}`,
  },
  TIMECODE_MISMATCH: {
    severity: 'warning',
    message: (key: string, timecodeValue: string, keyValue: string) =>
      `"timecode" says ${q(timecodeValue)} but ${q(key)} says ${q(keyValue)}; ${q(key)} is used`,
  },
  // Body.
  TURN_MISSING_SPEAKER: {
    severity: 'error',
    message: () => 'turn has a timecode but no speaker line and no text',
  },
  TURN_MISSING_TEXT: {
    severity: 'error',
    message: (speaker: string) => `turn by ${q(speaker)} has no text`,
  },
  TEXT_OUTSIDE_TURN: {
    severity: 'error',
    message: (excerpt: string) =>
      `text outside any turn: ${q(excerpt)} (a turn starts with a "HH:MM:SS:FF - HH:MM:SS:FF" line)`,
  },
  COMMENT_UNCLOSED: {
    severity: 'error',
    message: () => 'HTML comment "<!--" is never closed by "-->"',
  },
  NO_TURNS: {
    severity: 'error',
    message: () => 'file has no turns after its front matter',
  },
  SPEAKER_NOT_LISTED: {
    severity: 'warning',
    message: (speaker: string) => `speaker ${q(speaker)} is not in the front-matter "speakers" list`,
  },
  TURN_OUT_OF_ORDER: {
    severity: 'warning',
    message: (start: string, previousStart: string) =>
      `turn starts at ${q(start)}, before the previous turn's start ${q(previousStart)}`,
  },
  TURN_OVERLAP: {
    severity: 'warning',
    message: (start: string, previousEnd: string) =>
      `turn starts at ${q(start)}, before the previous turn ends at ${q(previousEnd)}`,
  },
  TURN_OUTSIDE_RANGE: {
    severity: 'warning',
    message: (turn: string, range: string) => `turn ${q(turn)} lies outside the segment's ${q(range)}`,
  },
  // Across files (reported by the archive builder).
  DUPLICATE_SLUG: {
    severity: 'error',
    message: (slug: string, otherFile: string) => `slug ${q(slug)} is already taken by ${otherFile}`,
  },
  DUPLICATE_CHUNK: {
    severity: 'error',
    message: (series: string, episode: number, chunk: number, otherFile: string) =>
      `series ${q(series)} episode ${episode} chunk ${chunk} is already taken by ${otherFile}`,
  },
} as const satisfies Record<string, { severity: Severity; message: (...args: never[]) => string }>;

type Catalogue = typeof catalogue;

/** Every stable diagnostic code. */
export type DiagnosticCode = keyof Catalogue;

/** All codes, for documentation and for tests that want one fixture per code. */
export const diagnosticCodes = Object.keys(catalogue) as DiagnosticCode[];

/** The severity a code always has. */
export function severityOf(code: DiagnosticCode): Severity {
  return catalogue[code].severity;
}

/**
 * Builds a diagnostic. The only way diagnostics are made, so codes and wording stay consistent.
 *
 * @example
 * diagnostic('REQUIRED_KEY_MISSING', 'show/ep1.md', 1, 'series')
 * // { code: 'REQUIRED_KEY_MISSING', severity: 'error', file: 'show/ep1.md', line: 1,
 * //   message: 'required front-matter key "series" is missing' }
 */
export function diagnostic<C extends DiagnosticCode>(
  code: C,
  file: string,
  line: number,
  ...args: Parameters<Catalogue[C]['message']>
): Diagnostic {
  const entry = catalogue[code];
  const message = (entry.message as (...a: unknown[]) => string)(...args);
  return { code, severity: entry.severity, message, file, line };
}

/**
 * Formats a diagnostic the way compilers do, for terminals and logs.
 *
 * @example
 * formatDiagnostic(d) // 'show/ep1.md:1: error: required front-matter key "series" is missing [REQUIRED_KEY_MISSING]'
 */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}: ${d.severity}: ${d.message} [${d.code}]`;
}
