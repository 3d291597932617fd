// The small upstream API of the proxy benchmark, run as its own process: checks the
// credential and answers a short JSON body over keep-alive. Prints its port on stdout.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const expected = `Bearer ${process.env['BENCH_KEY'] ?? ''}`;
const ok = Buffer.from(JSON.stringify({ ok: true, items: [1, 2, 3], next: null }));
const denied = Buffer.from('{"ok":false}');
const server = createServer((req, res) => {
  const good = req.headers.authorization === expected;
  res.writeHead(good ? 200 : 401, { 'content-type': 'application/json', 'content-length': good ? ok.length : denied.length });
  res.end(good ? ok : denied);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
