// The floor for the proxy benchmark: what one Node event loop does with node:http and an
// undici Agent (the broker's own stack) when it only swaps the header and copies a small
// body back, with none of the broker's checks, redaction or audit. Not a product path:
// it shows how much of the broker's cost is the platform. Prints its port on stdout.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, type Dispatcher } from 'undici';

const upstream = process.env['BENCH_UPSTREAM'] ?? '';
const authorization = `Bearer ${process.env['BENCH_KEY'] ?? ''}`;
const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
const PREFIX = '/proxy/bench';

const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  let status = 502;
  let type = 'application/octet-stream';
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart() {
      // nothing to keep: the call cannot be cancelled here
    },
    onResponseStart(_controller, statusCode, headers) {
      status = statusCode;
      type = String(headers['content-type'] ?? type);
    },
    onResponseData(_controller, chunk) {
      chunks.push(chunk);
    },
    onResponseEnd() {
      const body = Buffer.concat(chunks);
      res.writeHead(status, ['content-type', type, 'content-length', String(body.length)]);
      res.end(body);
    },
    onResponseError() {
      res.destroy();
    },
  };
  const path = `/api${(req.url ?? '/').slice(PREFIX.length)}`;
  agent.dispatch({ origin: upstream, path, method: 'GET', headers: ['authorization', authorization] }, handler);
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
