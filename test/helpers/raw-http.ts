import net from 'node:net';

export interface RawExchange {
  /** Everything the server sent before it closed the connection (or the deadline passed). */
  readonly text: string;
  /** The status code of the first answer, or null when none came. */
  readonly status: number | null;
  /** Whether the server closed the connection. */
  readonly closed: boolean;
}

/**
 * Sends bytes as they are over a fresh TCP connection and collects the answer until the server closes the
 * connection or `timeoutMs` passes: for requests no HTTP client would send.
 *
 * @example
 * const { status } = await rawRequest(port, 'GET // HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
 */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 3000): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: status ? Number(status[1]) : null, closed });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('connect', () => socket.write(request));
  });
}
