import type { ConnectionView } from '../../../main/api/contract.ts';

export function connection(id: string, state: ConnectionView['state'], extra: Partial<ConnectionView> = {}): ConnectionView {
  return {
    id,
    service: extra.service ?? 'github',
    label: extra.label ?? id,
    authMethod: extra.authMethod ?? 'oauth2',
    state,
    scopes: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    params: {},
    ...extra,
  };
}
