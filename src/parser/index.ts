/**
 * The parser's public entry: everything the rest of the code uses from src/parser comes through here. Pure: bytes
 * or text in, a segment or diagnostics out; no file system, no GraphQL.
 *
 * - `parseTranscript` (transcript.ts): the reference parser, which reports every diagnostic.
 * - `parseCompact` (compact.ts): what the archive loads with: the byte-level scanner (scan.ts) for well-formed
 *   files, the reference for everything else, both into the compact form (columns.ts).
 */
export {
  parseTranscript,
  type ParseOptions,
  type ParseResult,
  type ParsedSegment,
  type ParsedTurn,
  type SegmentHeader,
  type SegmentKeywords,
} from './transcript.js';
export { compactSegment, parseCompact, timecodeOfFrames, type CompactResult } from './compact.js';
export * from './columns.js';
export { diagnostic, diagnosticCodes, formatDiagnostic, severityOf } from './diagnostics.js';
export type { Diagnostic, DiagnosticCode, Severity } from './diagnostics.js';
export { slugify, SPECIAL_LETTERS } from './slug.js';
export { isCanonicalTimecode, roundSeconds, type Timecode } from './timecode.js';
export { DEFAULT_MAX_BYTES } from './text.js';
