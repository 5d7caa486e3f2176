import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it, vi } from 'vitest';

import { readConfig } from '../../src/server/config.js';
import { createObserver, NO_OBSERVER } from '../../src/server/observe.js';
import { startTelemetry, TELEMETRY_OFF } from '../../src/server/telemetry.js';
import { startTestServer } from '../helpers/server.js';
import { repoPath } from '../helpers/paths.js';

// Which SDK modules were loaded: each mock records its import, then hands out the real module.
const loaded = vi.hoisted(() => new Set<string>());
vi.mock('@opentelemetry/sdk-trace-node', async (original) => (loaded.add('sdk-trace-node'), original()));
vi.mock('@opentelemetry/exporter-trace-otlp-http', async (original) => (loaded.add('otlp-http'), original()));
vi.mock('@opentelemetry/exporter-trace-otlp-proto', async (original) => (loaded.add('otlp-proto'), original()));
vi.mock('@opentelemetry/context-async-hooks', async (original) => (loaded.add('context-async-hooks'), original()));

describe('tracing off', () => {
  it('loads no SDK, no exporter and no context manager, and the request path has nothing to call', async () => {
    const server = await startTestServer({ dataDir: repoPath('data') });
    try {
      expect(server.telemetry).toBe(TELEMETRY_OFF);
      const response = await fetch(server.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
        body: JSON.stringify({ query: '{ allSeries { id } }' }),
      });
      expect(response.status).toBe(200);
      expect([...loaded]).toEqual([]);
      // No context manager registered: a span made active is not seen (so log lines look up nothing).
      const span = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 });
      expect(context.with(trace.setSpan(ROOT_CONTEXT, span), () => trace.getSpan(context.active()))).toBeUndefined();
    } finally {
      await server.stop();
    }
    // Neither tracing nor metrics nor a debug log: every request shares one observation that does nothing.
    expect(createObserver({})).toBe(NO_OBSERVER);
  });

  it('loads them once an endpoint is configured (so the check above can fail)', async () => {
    const config = readConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    const telemetry = await startTelemetry({ ...config.tracing, serviceVersion: 'test' });
    try {
      expect(telemetry.enabled).toBe(true);
      expect([...loaded].sort()).toEqual(['context-async-hooks', 'otlp-http', 'sdk-trace-node']);
    } finally {
      // Nothing was traced, so nothing goes to the (closed) port.
      await telemetry.shutdown();
    }
  });
});
