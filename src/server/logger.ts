/** Structured logs: one JSON line per event (pino). */
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger } from 'pino';

import { formatDiagnostic, type Diagnostic } from '../parser/index.js';

export type { Logger };

/**
 * The trace and span ids of the active span, for a log line written while a traced request runs; nothing without
 * one. Tracing off, no context manager is registered and the active context is always the empty root.
 */
export function traceFields(): Record<string, string> {
  const span = trace.getSpanContext(context.active());
  // A fresh object each time: pino merges the line's own fields into it.
  return span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
}

/**
 * The process logger.
 *
 * @example
 * createLogger('info').info({ port: 4001 }, 'listening')
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'transcript-subgraph' }, mixin: traceFields };
  return destination ? pino(options, destination) : pino(options);
}

/** One line per diagnostic: errors at `error`, warnings at `warn`, with the compiler-style text as message. */
export function logDiagnostics(logger: Logger, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    const fields = { code: d.code, file: d.file, line: d.line };
    if (d.severity === 'error') logger.error(fields, formatDiagnostic(d));
    else logger.warn(fields, formatDiagnostic(d));
  }
}
