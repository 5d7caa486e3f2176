/**
 * Measures what each cache really holds against what it counts, for test/server/memory.test.ts. Run with
 * `node --expose-gc --import tsx test/server/memory-probe.ts`; prints one JSON line: per cache, the bytes it
 * accounts for and the heap (plus off-heap buffers) it holds, measured after garbage collection.
 */
import { parse } from 'graphql';

import { createContext } from '../../src/context.js';
import { runPlan, planOperation, type ViewBudget } from '../../src/execution/plan.js';
import { createSchema } from '../../src/schema.js';
import { DocumentStore } from '../../src/server/document-store.js';
import { PlannedOperations } from '../../src/server/pipeline/planned.js';
import { ResponseCache } from '../../src/server/pipeline/response-cache.js';
import { archiveOf, transcript } from '../helpers/archive.js';
import { heavyOperation } from './heavy.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const held = (): number => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

// 20 segments of 100 turns: enough entities that fixed costs do not blur what views hold.
const tc = (s: number) => `00:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}:00`;
const archive = await archiveOf(
  Object.fromEntries(
    Array.from({ length: 20 }, (_, f) => [
      `show/part-${f}.md`,
      transcript(
        { series: 'Show', episode: 1, chunk: f + 1 },
        Array.from(
          { length: 100 },
          (_, t) => [tc(t * 2), tc(t * 2 + 1), t % 2 ? 'Ana' : 'Bo', `turn ${t} of part ${f} `.repeat(6)] as const,
        ),
      ),
    ]),
  ),
);
const schema = createSchema();
const N = 200;
const FAKE = ['a#1', 'b#2', 'c#3'];
const out: Record<string, { accounted: number; measured: number; entries: number }> = {};

// Apollo's document store: documents parsed with locations, as Apollo parses them.
{
  const store = new DocumentStore(1024 ** 3);
  const queries = Array.from({ length: N }, (_, i) => heavyOperation(i, FAKE));
  const before = held();
  for (let i = 0; i < N; i++) await store.set(`k${i}`, parse(queries[i]!));
  out.documents = { accounted: store.bytes, measured: held() - before, entries: N };
}

// Plans (their keys included).
{
  const planned = new PlannedOperations(schema, { planBytes: 1024 ** 3 });
  const queries = Array.from({ length: N }, (_, i) => heavyOperation(i + N, FAKE));
  const before = held();
  for (const query of queries) planned.learn({ query }, '', [['content-type', 'application/json']]);
  out.plans = { accounted: planned.bytes, measured: held() - before, entries: N };
}

// Responses.
{
  const cache = new ResponseCache(1024 ** 3);
  const answers = Array.from(
    { length: N * 10 },
    (_, i) => `{"data":{"turn":{"id":"t${i}","text":"${'x'.repeat(i % 2000)}"}}}`,
  );
  const keys = Array.from(
    { length: N * 10 },
    (_, i) => `application/json\n{"query":"{ turn(id: \\"t${i}\\") { id text } }"}`,
  );
  const before = held();
  for (let i = 0; i < answers.length; i++)
    cache.set(archive, keys[i]!, [['content-type', 'application/json']], answers[i]!);
  out.responses = { accounted: cache.bytes(archive), measured: held() - before, entries: answers.length };
}

// Entity views: every turn under a deep selection, through several plans.
{
  const budget: ViewBudget = { remaining: 1024 ** 3 };
  const plans = Array.from({ length: 10 }, (_, i) =>
    planOperation(
      schema,
      parse(
        `{ segments(first: 100) { nodes { id title turns { id text speaker { id name } start { seconds } n${i}: number } } } }`,
      ),
    )!,
  );
  // A first run without views makes what every run makes (resolve infos, compiled code); the second keeps views.
  for (const plan of plans) await runPlan(plan, createContext(archive), {}, null);
  const before = held();
  for (const plan of plans) {
    const result = await runPlan(plan, createContext(archive), {}, budget);
    if (!result.ok) throw new Error('plan bailed');
  }
  out.views = { accounted: 1024 ** 3 - budget.remaining, measured: held() - before, entries: plans.length };
}

console.log(JSON.stringify(out));
