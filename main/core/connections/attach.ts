import type { AttachRule } from '../catalog/schema.ts';
import { SophonError } from '../errors.ts';
import type { StoredSecret } from './model.ts';

/** The values a credential offers to an attach template. */
export interface CredentialMaterial {
  readonly token?: string;
  readonly username?: string;
  readonly password?: string;
  /** An account the provider wants named beside the token (ChatGPT-Account-Id); not a secret. */
  readonly account?: string;
}

export function materialFromSecret(secret: StoredSecret): CredentialMaterial {
  switch (secret.type) {
    case 'api_key':
      return { token: secret.key };
    case 'bearer':
      return { token: secret.token };
    case 'basic':
    case 'smtp_imap':
      return { username: secret.username, password: secret.password };
    case 'oauth':
      return { token: secret.accessToken };
    case 'external':
      return {};
  }
}

export interface AttachedCredential {
  readonly headers: Record<string, string>;
  readonly query: Array<[string, string]>;
}

const PLACEHOLDER = /\{(token|username|password|basic|account)\}/g;

/** Fills the attach templates: the only place a credential turns into request headers or query. */
export function attachCredential(rules: readonly AttachRule[], material: CredentialMaterial): AttachedCredential {
  const headers: Record<string, string> = {};
  const query: Array<[string, string]> = [];
  for (const rule of rules) {
    const value = rule.value.replace(PLACEHOLDER, (_m, name: string) => {
      const piece =
        name === 'basic'
          ? material.username !== undefined && material.password !== undefined
            ? Buffer.from(`${material.username}:${material.password}`).toString('base64')
            : undefined
          : material[name as keyof CredentialMaterial];
      if (piece === undefined) {
        throw new SophonError('INTERNAL', `the service's attach rule needs {${name}}, which this kind of credential does not have`);
      }
      return piece;
    });
    if (/[\r\n\0]/.test(value)) throw new SophonError('INVALID_INPUT', 'the stored credential holds a line break — add it again');
    if (rule.in === 'header') headers[rule.name] = value;
    else query.push([rule.name, value]);
  }
  return { headers, query };
}
