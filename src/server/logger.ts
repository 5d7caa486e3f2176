/** Structured logs: one JSON line per event (pino). */
import { pino, type Logger } from 'pino';

import { formatDiagnostic, type Diagnostic } from '../parser/index.js';

export type { Logger };

/**
 * The process logger.
 *
 * @example
 * createLogger('info').info({ port: 4001 }, 'listening')
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'transcript-subgraph' } });
}

/** One line per diagnostic: errors at `error`, warnings at `warn`, with the compiler-style text as message. */
export function logDiagnostics(logger: Logger, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    const fields = { code: d.code, file: d.file, line: d.line };
    if (d.severity === 'error') logger.error(fields, formatDiagnostic(d));
    else logger.warn(fields, formatDiagnostic(d));
  }
}
