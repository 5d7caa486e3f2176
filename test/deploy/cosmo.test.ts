/**
 * deploy/cosmo/config.yaml, the Cosmo router config example. No npm package ships the router's config schema
 * (router/pkg/config/config.schema.json in wundergraph/cosmo; wgc fetches it from GitHub when it needs it), so
 * the parts this example uses are checked here against that schema's rules by hand.
 */
import { readFileSync } from 'node:fs';

import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server/app.js';
import { repoPath } from '../helpers/paths.js';
import { startTestServer } from '../helpers/server.js';

const config = parse(readFileSync(repoPath('deploy/cosmo/config.yaml'), 'utf8'));

/** This subgraph's name in the composition: the one whose schema is schema/transcripts.graphql. */
const subgraphs = parse(readFileSync(repoPath('supergraph.yaml'), 'utf8')).subgraphs as Record<
  string,
  { schema: { file: string } }
>;
const subgraph = Object.entries(subgraphs).find(([, s]) => s.schema.file.endsWith('schema/transcripts.graphql'))![0];

/** The `set` rules for `router-authorization` on requests to this subgraph. */
const authorizationRules = (): Record<string, unknown>[] =>
  ((config.headers?.subgraphs?.[subgraph]?.request ?? []) as Record<string, unknown>[]).filter(
    (rule) => typeof rule.name === 'string' && rule.name.toLowerCase() === 'router-authorization',
  );

/** Cosmo expands `${VAR}` in the config file from its environment. */
const expand = (value: string, env: Record<string, string>): string =>
  value.replace(/\$\{(\w+)\}/g, (_, name: string) => env[name] ?? '');

describe('Cosmo router config (deploy/cosmo/config.yaml)', () => {
  it('is a version 1 config', () => {
    expect(config.version).toBe('1');
  });

  it(`sets router-authorization from \${ROUTER_SECRET} on requests to the "${subgraph}" subgraph`, () => {
    const rules = authorizationRules();
    expect(rules).toHaveLength(1);
    const rule = rules[0]!;
    // The schema's set_header_rule: op set, a name, and exactly one of value, expression or value_from.
    expect(Object.keys(rule).sort()).toEqual(['name', 'op', 'value']);
    expect(rule.op).toBe('set');
    expect(rule.value).toBe('${ROUTER_SECRET}');
  });

  describe('the header it sets', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startTestServer({ dataDir: repoPath('data'), config: { routerSecret: 'from-the-secret' } });
    });
    afterAll(async () => {
      await server.stop();
    });

    it('is what the subgraph accepts when both read the same secret', async () => {
      const rule = authorizationRules()[0]!;
      const post = (headers: Record<string, string>) =>
        fetch(server.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query: '{ allSeries { id } }' }),
        });
      const value = expand(String(rule.value), { ROUTER_SECRET: 'from-the-secret' });
      expect((await post({ [String(rule.name)]: value })).status).toBe(200);
      expect((await post({})).status).toBe(401);
    });
  });

  it('traces, and propagates W3C trace context (traceparent) to subgraphs', () => {
    expect(config.telemetry.tracing.enabled).toBe(true);
    const propagation = config.telemetry.tracing.propagation;
    expect(propagation.trace_context).toBe(true);
    // The schema's propagation object takes these keys only (additionalProperties: false).
    for (const key of Object.keys(propagation)) {
      expect(['trace_context', 'jaeger', 'b3', 'datadog', 'baggage']).toContain(key);
    }
  });
});
