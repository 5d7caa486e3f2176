import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { readConfig, redactedConfig } from '../../src/server/config.js';
import { CONFIGURATION_PAGE } from '../helpers/docs.js';
import { repoPath } from '../helpers/paths.js';

describe('configuration: traces and metrics', () => {
  it('defaults: no tracing (no endpoint), metrics on the main port', () => {
    expect(readConfig({}).tracing).toEqual({
      endpoint: undefined,
      protocol: 'http/protobuf',
      serviceName: 'transcript-subgraph',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      disabled: false,
    });
    expect(readConfig({}).metrics).toEqual({ enabled: true, port: undefined });
  });

  it('reads the OpenTelemetry variables: the base endpoint gets /v1/traces, the traces endpoint is used as given', () => {
    expect(readConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing.endpoint).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(readConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example/base/' }).tracing.endpoint).toBe(
      'https://otel.example/base/v1/traces',
    );
    const both = readConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://tempo:4318/otlp/v1/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'transcripts-eu',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_SDK_DISABLED: 'true',
    });
    expect(both.tracing).toEqual({
      endpoint: 'http://tempo:4318/otlp/v1/traces',
      protocol: 'http/json',
      serviceName: 'transcripts-eu',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
      disabled: true,
    });
    expect(readConfig({ METRICS: 'off', METRICS_PORT: '9464' }).metrics).toEqual({ enabled: false, port: 9464 });
  });

  it('refuses unusable values, naming the variable', () => {
    for (const [name, value] of [
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
      ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'ftp://collector/v1/traces'],
      ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
      ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'http'],
      ['OTEL_TRACES_SAMPLER', 'sometimes'],
      ['OTEL_TRACES_SAMPLER_ARG', '1.5'],
      ['OTEL_TRACES_SAMPLER_ARG', 'half'],
      ['OTEL_SDK_DISABLED', 'maybe'],
      ['METRICS', 'maybe'],
      ['METRICS_PORT', '70000'],
    ]) {
      expect(() => readConfig({ [name!]: value }), `${name}=${value}`).toThrow(name);
    }
    expect(() => readConfig({ PORT: '4001', METRICS_PORT: '4001' })).toThrow(/METRICS_PORT must differ from PORT/);
  });

  it('shows the configuration with secrets redacted', () => {
    const config = readConfig({
      ROUTER_SECRET: 'hunter2',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://user:token@otel.example/v1/traces',
    });
    const shown = redactedConfig(config);
    expect(shown.routerSecret).toBe('[redacted]');
    expect(JSON.stringify(shown)).not.toMatch(/hunter2|token/);
    expect((shown.tracing as { endpoint: string }).endpoint).toBe(
      'https://otel.example/v1/traces (credentials redacted)',
    );
    expect(config.routerSecret).toBe('hunter2');
  });

  it('lists every variable in the configuration table of the docs', () => {
    const readme = readFileSync(repoPath(CONFIGURATION_PAGE), 'utf8');
    for (const name of [
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
      'OTEL_SERVICE_NAME',
      'OTEL_TRACES_SAMPLER',
      'OTEL_TRACES_SAMPLER_ARG',
      'OTEL_SDK_DISABLED',
      'METRICS',
      'METRICS_PORT',
    ]) {
      expect(readme, name).toMatch(new RegExp(`^\\| \`${name}\`\\s*\\| [^|]+\\| [^|]+\\|$`, 'm'));
    }
  });
});
