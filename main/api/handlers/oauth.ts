import { SophonError, type SophonCore, type SignInEvent, type StoredSecret, revokeConnection } from '../../core/index.ts';
import type { EventPayload } from '../contract.ts';
import type { Dispatcher, Handlers } from '../dispatch.ts';
import { connectionView } from '../views.ts';

export function signInEventView(event: SignInEvent): EventPayload<'signin.changed'> {
  const { connection, ...rest } = event;
  return { ...rest, ...(connection ? { connection: connectionView(connection) } : {}) };
}

/** OAuth sign-in, re-consent, revocation and the person's own client registration. */
export function oauthHandlers(core: SophonCore, dispatcher: Dispatcher): Handlers {
  const { signin } = core.oauth;
  signin.onEvent((event) => dispatcher.publish('signin.changed', signInEventView(event)));
  return {
    'signin.start': async (input, ctx) =>
      signin.start(
        {
          service: input.service,
          method: input.method,
          ...(input.label !== undefined ? { label: input.label } : {}),
          ...(input.redirect ? { redirect: input.redirect } : {}),
          ...(input.scopes ? { scopes: input.scopes } : {}),
          ...(input.params ? { params: input.params } : {}),
        },
        { actor: ctx.actor },
      ),
    'signin.complete': async (input, ctx) => connectionView(await signin.complete(input.redirectUrl, { actor: ctx.actor }, input.attemptId)),
    'signin.wait': async (input, ctx) => {
      const stop = signin.onEvent((event) => {
        if (event.attemptId === input.attemptId) ctx.emit?.('signin.changed', signInEventView(event));
      });
      const onAbort = () => signin.cancel(input.attemptId);
      ctx.signal?.addEventListener('abort', onAbort);
      try {
        return connectionView(await signin.wait(input.attemptId));
      } finally {
        stop();
        ctx.signal?.removeEventListener('abort', onAbort);
      }
    },
    'signin.cancel': async (input) => ({ cancelled: signin.cancel(input.attemptId) }),
    'connections.reauth': async (input, ctx) => {
      const connection = await core.connections.resolve(input.ref);
      if (connection.authMethod === 'smtp_imap') {
        throw new SophonError('NOT_SUPPORTED', `${connection.service}:${connection.label} is a mailbox: it re-authenticates with a new password (mail.update) — run \`sophon connect reauth ${connection.service}:${connection.label}\` or use Reconnect in the window`);
      }
      const service = core.catalog.require(connection.service);
      const wantDevice = input.device ?? (connection.authMethod === 'device' && !input.redirect);
      const method = wantDevice ? 'device' : 'oauth2';
      if (!service.auth.some((m) => m.type === method)) {
        const fallback = service.auth.find((m) => m.type === 'oauth2' || m.type === 'device');
        if (!fallback) {
          throw new SophonError('NOT_SUPPORTED', `${service.name} uses ${connection.authMethod}; re-auth means adding the new credential: \`sophon connect remove ${connection.id}\` then \`sophon connect add ${service.id} --label ${connection.label}\``);
        }
      }
      const chosen = service.auth.some((m) => m.type === method) ? method : method === 'device' ? 'oauth2' : 'device';
      return signin.start(
        {
          service: service.id,
          method: chosen,
          reauthOf: connection.id,
          ...(input.scopes ? { scopes: input.scopes } : {}),
          ...(input.redirect ? { redirect: input.redirect } : {}),
        },
        { actor: ctx.actor },
      );
    },
    'connections.remove': async (input, ctx) => {
      const connection = await core.connections.resolve(input.ref);
      let revocation: Awaited<ReturnType<typeof revokeConnection>> = { outcome: 'not_supported' };
      if (connection.authMethod === 'oauth2' || connection.authMethod === 'device') {
        const secret = (await core.vault.get<StoredSecret>(`secret/${connection.id}`)) ?? undefined;
        revocation = await revokeConnection(core, connection, secret, { actor: ctx.actor });
      }
      const removed = await core.connections.remove(connection.id, { actor: ctx.actor });
      return { connection: connectionView(removed), revoked: revocation.outcome, ...(revocation.note ? { revocationNote: revocation.note } : {}) };
    },
    'oauth.configure': async (input, ctx) => {
      const service = core.catalog.require(input.service);
      if (!service.auth.some((m) => m.type === 'oauth2' || m.type === 'device')) {
        throw new SophonError('NOT_SUPPORTED', `${service.name} does not sign in with OAuth — add an API key with \`sophon connect add ${service.id}\``);
      }
      const clientId = input.clientId.trim();
      if (!/^[\x21-\x7e]+$/.test(clientId)) throw new SophonError('INVALID_INPUT', 'the client id has spaces or unusual characters — copy it again from the provider console');
      await core.vault.put(`oauth-client/${service.id}`, { clientId, ...(input.clientSecret ? { clientSecret: input.clientSecret.trim() } : {}) });
      core.audit.append({ actor: ctx.actor, action: input.clientSecret ? 'client-secret.write' : 'client.configure', service: service.id, outcome: 'ok' });
      return { service: service.id, clientId, hasSecret: Boolean(input.clientSecret) };
    },
  };
}
