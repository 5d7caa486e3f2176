/** Writing answers: plain JSON for the server's own routes, GraphQL errors for refusals of GraphQL requests. */
import type http from 'node:http';

/**
 * Sends a JSON answer with its length. When `close` is set the connection closes once the answer is out: the
 * request's body was left unread, and reading it to the end is what a client past a limit wants the server to do.
 *
 * @example
 * sendJson(res, 404, { error: 'no route /nope' })
 */
export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  options: { readonly close?: boolean; readonly headers?: Readonly<Record<string, string>> } = {},
): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    ...options.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  };
  if (options.close) {
    headers.connection = 'close';
    // Once the answer is written, drop the connection instead of reading (and discarding) the rest of the body.
    res.once('finish', () => res.req.socket?.destroy());
  }
  res.writeHead(status, headers);
  res.end(text);
}

/**
 * Refuses a GraphQL request as GraphQL-over-HTTP says: a status, and `{"errors":[…]}` with a client error code.
 *
 * @example
 * sendGraphQLError(res, 413, 'request body over 2097152 bytes', 'PAYLOAD_TOO_LARGE', { close: true })
 */
export function sendGraphQLError(
  res: http.ServerResponse,
  status: number,
  message: string,
  code: string,
  options: { readonly close?: boolean } = {},
): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] }, options);
}
