/**
 * `node --import tsx bench/observe-overhead.ts`: what observing a request costs, in-process (no HTTP): start, run,
 * answered, end, as the HTTP layer and the pipeline call them. Median of five runs; a second or two of CPU.
 *
 * - tracing and metrics off: the shared observation that does nothing (`NO_OBSERVER`)
 * - tracing off, metrics on (the default)
 * - tracing on, every span sampled and handed to an exporter that drops it (the SDK's own cost, no network)
 */
import { Metrics } from '../src/server/metrics.js';
import { createObserver, type RequestObserver } from '../src/server/observe.js';
import { startTelemetry } from '../src/server/telemetry.js';

const req = {
  method: 'POST',
  headers: {
    'content-type': 'application/json',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  },
  httpVersion: '1.1',
} as never;
const answer = { path: 'plan', operationName: 'Speaker', operationType: 'query' } as const;

function measure(name: string, observer: RequestObserver, n: number): void {
  const once = (): void => {
    const observed = observer.start(req, '/graphql', '/graphql');
    observed.run(() => observed.answered(answer));
    observed.end(200);
  };
  for (let i = 0; i < n; i++) once();
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const started = performance.now();
    for (let i = 0; i < n; i++) once();
    runs.push(((performance.now() - started) * 1e6) / n);
  }
  runs.sort((a, b) => a - b);
  console.log(`${name}: ${runs[2]!.toFixed(0)} ns per request`);
}

const metrics = new Metrics({
  backend: () => null,
  budgets: { responses: 0, plans: 0, documents: 0, entity_views: 0, records: 0 },
});
measure('tracing off, metrics off', createObserver({}), 1_000_000);
measure('tracing off, metrics on', createObserver({ metrics }), 1_000_000);
const telemetry = await startTelemetry({
  endpoint: undefined,
  protocol: 'http/json',
  serviceName: 'bench',
  sampler: 'always_on',
  samplerRatio: 1,
  disabled: false,
  serviceVersion: 'bench',
  exporter: { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined },
});
measure('tracing on, metrics on', createObserver({ tracer: telemetry, metrics }), 100_000);
await telemetry.shutdown();
