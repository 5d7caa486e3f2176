/** Writing answers: plain JSON for the server's own routes, GraphQL errors for refusals of GraphQL requests. */
import type http from 'node:http';

/** How long a connection refused with `close` stays open for the client to read the answer, in ms. */
export const LINGER_MS = 500;

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
    const socket = res.req.socket;
    if (socket) {
      // A lingering close (nginx's lingering_close): the answer goes out with a FIN, the rest of the body is not
      // read (the request is paused, so the client's writes stall), and the socket is dropped a moment later.
      // Dropped at once, with the client's data unread, it would be reset, and a reset can discard the answer
      // before the client reads it.
      socket.destroySoon = () => void socket.end();
      res.once('finish', () => setTimeout(() => socket.destroy(), LINGER_MS).unref());
    }
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
