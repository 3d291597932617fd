import { DEFAULT_FIXED_LOOPBACK_PORT, type Loopback } from './oauth-facts.ts';
import type { AuthMethod, RedirectKind } from './schema.ts';

/** Sophon's private-use scheme redirect (RFC 8252 §7.1), received by the desktop app. */
export const DEEP_LINK_REDIRECT = 'sophon://oauth/callback';

/** The ports the loopback listener tries, in order; [0] (any free port) when the provider ignores the port. */
export function loopbackPorts(loopback: Loopback): number[] {
  if (loopback.ports && loopback.ports.length > 0) return [...loopback.ports];
  return loopback.match === 'exact' ? [DEFAULT_FIXED_LOOPBACK_PORT] : [0];
}

export interface RedirectToRegister {
  readonly kind: RedirectKind;
  readonly uri: string;
}

/**
 * The redirect URIs a person must add to their OAuth client registration before the first
 * sign-in, exactly as the provider compares them: without a port where it ignores the port,
 * with Sophon's fixed port where it does not. Empty for a method with nothing to register.
 */
export function redirectsToRegister(method: AuthMethod): RedirectToRegister[] {
  if (method.type !== 'oauth2') return [];
  const out: RedirectToRegister[] = [];
  for (const kind of method.redirects) {
    if (kind === 'deeplink') out.push({ kind, uri: DEEP_LINK_REDIRECT });
    if (kind !== 'loopback' && kind !== 'paste') continue;
    if (!method.loopback.register || out.some((r) => r.kind === 'loopback')) continue;
    const { host, path } = method.loopback;
    if (method.loopback.match === 'any-port') out.push({ kind: 'loopback', uri: `http://${host}${path}` });
    else for (const port of loopbackPorts(method.loopback)) out.push({ kind: 'loopback', uri: `http://${host}:${port}${path}` });
  }
  return out;
}

/**
 * The loopback redirect Sophon sends, for people to read: "{any free port}", or each fixed
 * port as a whole URI ("http://localhost:1455/auth/callback or http://localhost:1457/auth/callback").
 */
export function loopbackRedirectPattern(method: AuthMethod): string | undefined {
  if (method.type !== 'oauth2' || !method.redirects.some((k) => k === 'loopback' || k === 'paste')) return undefined;
  const { host, path } = method.loopback;
  const ports = loopbackPorts(method.loopback);
  if (ports[0] === 0) return `http://${host}:{any free port}${path}`;
  return ports.map((port) => `http://${host}:${port}${path}`).join(' or ');
}
