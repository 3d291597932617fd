import type { AuthMethod, ServiceDefinition } from '../catalog/schema.ts';
import { SophonError } from '../errors.ts';

/** Where GitHub lives: the web host (OAuth pages and endpoints) and the REST API. */
export interface GithubHosts {
  readonly web: string;
  readonly api: string;
  readonly uploads: string;
  /** The Copilot API of a GHE.com tenant (data residency); absent elsewhere. */
  readonly copilotApi?: string;
  readonly enterprise: boolean;
}

const PUBLIC: GithubHosts = { web: 'https://github.com', api: 'https://api.github.com', uploads: 'https://uploads.github.com', enterprise: false };

/** Services whose definition follows `Sophon.Services.<id>.host`. */
export const GITHUB_HOST_SERVICES: ReadonlySet<string> = new Set(['github', 'github-copilot']);

/**
 * GitHub Enterprise: `https://HOST/login/…` for OAuth and `https://HOST/api/v3` for REST;
 * GHE.com tenants (`*.ghe.com`) have REST at `https://api.HOST`. Plain http is accepted
 * only for a loopback host (a local stand-in).
 */
export function githubHosts(host: string | undefined, settingName = 'Sophon.Services.github-copilot.host'): GithubHosts {
  if (host === undefined || host.trim() === '') return PUBLIC;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `https://${host}`);
  } catch {
    throw new SophonError('SETTINGS_INVALID', `${settingName} "${host}" is not a host name — write e.g. "github.example.com"`);
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new SophonError('INSECURE_URL', `${settingName} "${host}" must be https — write the host name only, e.g. "github.example.com"`);
  }
  if (url.hostname === 'github.com') return PUBLIC;
  if (url.hostname.endsWith('.ghe.com')) {
    return { web: url.origin, api: `${url.protocol}//api.${url.host}`, uploads: `${url.protocol}//uploads.${url.host}`, copilotApi: `${url.protocol}//copilot-api.${url.host}`, enterprise: true };
  }
  return { web: url.origin, api: `${url.origin}/api/v3`, uploads: `${url.origin}/api/uploads`, enterprise: true };
}

function swap(value: string, hosts: GithubHosts): string {
  return value
    .replace(/^https:\/\/api\.github\.com(?=\/|$)/, hosts.api)
    .replace(/^https:\/\/uploads\.github\.com(?=\/|$)/, hosts.uploads)
    .replace(/^https:\/\/github\.com(?=\/|$)/, hosts.web);
}

const ENDPOINTS = ['authorizationEndpoint', 'tokenEndpoint', 'deviceAuthorizationEndpoint', 'revocationEndpoint'] as const;

/** Points a GitHub service definition at an Enterprise host. Explicit endpoint overrides are applied after this. */
export function applyGithubHost(definition: ServiceDefinition, host: string): ServiceDefinition {
  const hosts = githubHosts(host, `Sophon.Services.${definition.id}.host`);
  if (!hosts.enterprise) return definition;
  const auth = definition.auth.map((method): AuthMethod => {
    if (method.type !== 'oauth2' && method.type !== 'device') return method;
    const patched: Record<string, unknown> = { ...method };
    for (const key of ENDPOINTS) {
      const value = patched[key];
      if (typeof value === 'string') patched[key] = swap(value, hosts);
    }
    // The app-token revocation call and the issuer named on callbacks live on the Enterprise host too.
    if (method.revocation?.kind === 'request') patched['revocation'] = { ...method.revocation, url: swap(method.revocation.url, hosts) };
    if (method.type === 'oauth2' && method.responseIssuer && method.responseIssuer !== 'none') patched['responseIssuer'] = { ...method.responseIssuer, issuer: swap(method.responseIssuer.issuer, hosts) };
    return patched as AuthMethod;
  });
  const copilot = definition.id === 'github-copilot';
  const baseUrl = copilot ? (hosts.copilotApi ?? definition.api.baseUrl) : swap(definition.api.baseUrl, hosts);
  const additionalBaseUrls = copilot ? definition.api.additionalBaseUrls : definition.api.additionalBaseUrls.map((url) => swap(url, hosts));
  return { ...definition, auth, api: { ...definition.api, baseUrl, additionalBaseUrls } };
}
