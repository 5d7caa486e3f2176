/**
 * Anchor (a): the floor of Node itself, a node:http server answering a fixed GraphQL-shaped JSON body. With
 * `ANSWER_BYTES`, the body is that long: the floor for answers as large as a real operation's.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const size = Number(process.env.ANSWER_BYTES ?? 0);
const body = JSON.stringify({ data: { hello: size > 30 ? 'x'.repeat(size - 30) : 'world' } });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
