import type { Connection, ServiceDefinition, Catalog, AuthMethod } from '../core/index.ts';
import { ConnectionView, ServiceSummary, type AuthMethodView } from './contract.ts';

/** Core → view. Parsing through the view schema drops any field the view does not name. */
export function connectionView(connection: Connection): ConnectionView {
  return ConnectionView.parse(connection);
}

export function methodView(method: AuthMethod, clientConfigured: boolean): AuthMethodView {
  switch (method.type) {
    case 'oauth2':
      return { type: method.type, redirects: method.redirects, clientConfigured, clientRegistrationUrl: method.clientRegistrationUrl, scopes: method.scopes };
    case 'device':
      return { type: method.type, clientConfigured, clientRegistrationUrl: method.clientRegistrationUrl, scopes: method.scopes };
    case 'api_key':
    case 'bearer':
      return { type: method.type, label: method.label, ...(method.pattern ? { pattern: method.pattern } : {}), ...(method.help ? { help: method.help } : {}) };
    case 'basic':
      return { type: method.type, usernameLabel: method.usernameLabel, passwordLabel: method.passwordLabel, ...(method.help ? { help: method.help } : {}) };
    case 'smtp_imap':
      return {
        type: method.type,
        ...(method.help ? { help: method.help } : {}),
        ...(method.imap ? { imap: method.imap } : {}),
        ...(method.smtp ? { smtp: method.smtp } : {}),
        ...(method.note ? { note: method.note } : {}),
        ...(method.source ? { source: method.source } : {}),
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
    baseUrl: service.api.baseUrl,
    custom: catalog.isCustom(service.id),
    auth: service.auth.map((m) => methodView(m, clientConfigured(service, m))),
    params: service.params,
    // A mailbox is tested by logging in on both servers, not by an HTTP call.
    hasTest: service.test !== undefined || service.auth.some((m) => m.type === 'smtp_imap'),
    ...(service.provider ? { provider: service.provider } : {}),
  });
}
