import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SophonError } from '../errors.ts';
import type { RedirectListener, RedirectReceiver } from '../ports.ts';

function page(ok: boolean, message: string): string {
  const escaped = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><meta charset="utf-8"><title>Sophon</title><meta name="viewport" content="width=device-width">
<style>body{font:16px system-ui,sans-serif;margin:15vh auto;max-width:32rem;padding:0 1rem}h1{font-size:1.4rem}</style>
<h1>${ok ? 'Signed in' : 'Sign-in not completed'}</h1><p>${escaped}</p><p>${ok ? 'You can close this tab and return to Sophon.' : 'Return to Sophon and start the sign-in again.'}</p>`;
}

async function listenOn(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * RFC 8252 §7.3 loopback redirect: an HTTP listener on 127.0.0.1 only, at a random port
 * unless the client registration fixes the ports. It answers only GET on the redirect
 * path, and shows the person the outcome so they know to return to the app.
 */
export const loopbackReceiver: RedirectReceiver = {
  async listen(options, onRedirect): Promise<RedirectListener> {
    let origin = `http://${options.host}`;
    // node:http loads when a sign-in listens, not with every command.
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', origin);
      if (req.method !== 'GET' || url.pathname !== options.path) {
        res.writeHead(404, { 'content-type': 'text/plain', connection: 'close' }).end('not found');
        return;
      }
      void onRedirect(url).then(
        (outcome) =>
          res
            .writeHead(outcome.ok ? 200 : 400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', connection: 'close' })
            .end(page(outcome.ok, outcome.message)),
        () => res.writeHead(500, { 'content-type': 'text/html; charset=utf-8', connection: 'close' }).end(page(false, 'Sophon could not complete the sign-in.')),
      );
    });
    server.keepAliveTimeout = 1000;
    const candidates = options.ports && options.ports.length > 0 ? options.ports : [0];
    let port: number | undefined;
    let lastError: unknown;
    for (const candidate of candidates) {
      try {
        port = await listenOn(server, '127.0.0.1', candidate);
        break;
      } catch (error) {
        lastError = error;
      }
    }
    if (port === undefined) {
      throw new SophonError(
        'OAUTH_PROTOCOL',
        `cannot listen for the sign-in redirect on 127.0.0.1:${candidates.join(' or ')} (${(lastError as Error)?.message}) — close the program using that port (another sign-in?) or use --no-browser to paste the URL`,
        { cause: lastError },
      );
    }
    origin = `http://${options.host}:${port}`;
    return {
      redirectUri: `${origin}${options.path}`,
      // Lets a response being written finish (the page the person sees), then stops.
      dispose: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 2000).unref();
        }),
    };
  },
};
