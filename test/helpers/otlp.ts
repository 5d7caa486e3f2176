import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as an OTLP/HTTP JSON export carries it, attributes decoded. */
export interface ExportedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly status: { readonly code?: number; readonly message?: string } | undefined;
  readonly resource: Readonly<Record<string, unknown>>;
}

export interface OtlpReceiver {
  /** e.g. `http://127.0.0.1:54321` (spans are expected at `/v1/traces`). */
  readonly url: string;
  /** Every export received, as it came. */
  readonly requests: { path: string; contentType: string; body: Buffer }[];
  /** The spans of every JSON export so far. */
  spans(): ExportedSpan[];
  close(): Promise<void>;
}

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
};
type KeyValue = { key: string; value: AnyValue };

function decode(value: AnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(decode);
  return undefined;
}

const attributes = (list: KeyValue[] | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map(({ key, value }) => [key, decode(value)]));

/** An OTLP/HTTP receiver on 127.0.0.1 and a free port: accepts every export with 200 and keeps it. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpReceiver['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        path: req.url ?? '',
        contentType: req.headers['content-type'] ?? '',
        body: Buffer.concat(chunks),
      });
      const json = /json/.test(req.headers['content-type'] ?? '');
      res
        .writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' })
        .end(json ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    spans: () =>
      requests
        .filter((r) => /json/.test(r.contentType))
        .flatMap((r) => {
          const body = JSON.parse(r.body.toString('utf8')) as {
            resourceSpans?: {
              resource?: { attributes?: KeyValue[] };
              scopeSpans?: { spans?: Record<string, unknown>[] }[];
            }[];
          };
          return (body.resourceSpans ?? []).flatMap((rs) =>
            (rs.scopeSpans ?? []).flatMap((ss) =>
              (ss.spans ?? []).map((span): ExportedSpan => ({
                traceId: span.traceId as string,
                spanId: span.spanId as string,
                parentSpanId: (span.parentSpanId as string | undefined) || undefined,
                name: span.name as string,
                kind: span.kind as number,
                attributes: attributes(span.attributes as KeyValue[] | undefined),
                status: span.status as ExportedSpan['status'],
                resource: attributes(rs.resource?.attributes),
              })),
            ),
          );
        }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
