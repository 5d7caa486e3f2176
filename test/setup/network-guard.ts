/**
 * Nothing the test suite runs may talk to anything but this machine. Every TCP connection made in a test process
 * (node:http, fetch, routers, subgraphs) goes through `net.Socket.prototype.connect`: one to a host that is not
 * loopback is refused and recorded, and the file's tests fail at the end. (Child processes the tests start are
 * covered by what they run: the same server code, whose network use these in-process tests exercise.)
 */
import net from 'node:net';

import { afterAll, expect } from 'vitest';

export const offMachine: string[] = [];

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3}|0\.0\.0\.0|::)$/i;

const connect = net.Socket.prototype.connect as (...args: unknown[]) => net.Socket;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
  const first = args[0];
  // connect(options), connect(port, host?), connect(path): a path is a local socket.
  const options = (Array.isArray(first) ? first[0] : first) as
    { host?: string; port?: number; path?: string } | number | string;
  let host: string | undefined;
  if (typeof options === 'object' && options !== null) host = options.path ? undefined : (options.host ?? 'localhost');
  else if (typeof options === 'number') host = typeof args[1] === 'string' ? args[1] : 'localhost';
  if (host !== undefined && !LOOPBACK.test(host.replace(/^\[|\]$/g, ''))) {
    offMachine.push(host);
    const socket = this;
    process.nextTick(() => socket.destroy(new Error(`test network guard: connection to ${host} refused`)));
    return socket;
  }
  return connect.apply(this, args);
};

afterAll(() => {
  expect(offMachine, 'connections to hosts off this machine').toEqual([]);
});
