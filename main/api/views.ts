import { loopbackRedirectPattern, redirectsToRegister, revocationOf, type Connection, type ServiceDefinition, type Catalog, type AuthMethod } from '../core/index.ts';
import { ConnectionView, ServiceSummary, type AuthMethodView } from './contract.ts';

const CLIENT_KIND = { none: 'public', optional: 'either', required: 'confidential' } as const;

/** Core → view. Parsing through the view schema drops any field the view does not name. */
export function connectionView(connection: Connection): ConnectionView {
  return ConnectionView.parse(connection);
}

export function methodView(method: AuthMethod, clientConfigured: boolean): AuthMethodView {
  switch (method.type) {
    case 'oauth2':
    case 'device': {
      const revocation = revocationOf(method);
      return {
        type: method.type,
        ...(method.type === 'oauth2' ? { redirects: method.redirects, redirectUris: redirectsToRegister(method), ...(loopbackRedirectPattern(method) ? { loopbackRedirect: loopbackRedirectPattern(method) } : {}) } : {}),
        clientConfigured,
        clientRegistrationUrl: method.clientRegistrationUrl,
        clientKind: CLIENT_KIND[method.clientSecret],
        scopes: method.scopes,
        revocation: revocation && revocation.kind !== 'none' ? 'provider' : 'manual',
        ...(revocation && revocation.kind !== 'rfc7009' ? { revocationUrl: revocation.manageUrl } : {}),
        ...(method.docs ? { docs: method.docs } : {}),
      };
    }
    case 'api_key':
    case 'bearer':
      return { type: method.type, label: method.label, ...(method.pattern ? { pattern: method.pattern } : {}), ...(method.help ? { help: method.help } : {}), ...(method.docs ? { docs: method.docs } : {}) };
    case 'basic':
      return { type: method.type, usernameLabel: method.usernameLabel, passwordLabel: method.passwordLabel, ...(method.help ? { help: method.help } : {}) };
    case 'smtp_imap':
      return {
        type: method.type,
        ...(method.help ? { help: method.help } : {}),
        ...(method.imap ? { imap: method.imap } : {}),
        ...(method.smtp ? { smtp: method.smtp } : {}),
        ...(method.note ? { note: method.note } : {}),
        ...(method.docs ? { docs: method.docs } : {}),
      };
    case 'cli_reader':
      return { type: method.type, cli: method.cli };
  }
}

export function serviceSummary(service: ServiceDefinition, catalog: Catalog, clientConfigured: (service: ServiceDefinition, method: AuthMethod) => boolean): ServiceSummary {
  return ServiceSummary.parse({
    id: service.id,
    name: service.name,
    category: service.category,
    ...(service.description ? { description: service.description } : {}),
    ...(service.summary ? { summary: service.summary } : {}),
    keywords: service.keywords,
    ...(service.icon ? { icon: service.icon } : {}),
    ...(service.setup ? { setup: service.setup } : {}),
    ...(service.docsUrl ? { docsUrl: service.docsUrl } : {}),
    rank: catalog.rank(service.id),
    baseUrl: service.api.baseUrl,
    custom: catalog.isCustom(service.id),
    auth: service.auth.map((m) => methodView(m, clientConfigured(service, m))),
    params: service.params,
    // A mailbox is tested by logging in on both servers; Copilot by its token exchange.
    hasTest: service.test !== undefined || service.liveTest?.by === 'provider' || service.auth.some((m) => ('test' in m && m.test !== undefined) || m.type === 'smtp_imap'),
    ...(service.provider ? { provider: service.provider } : {}),
  });
}
