import { describe, it, expect } from 'vitest';
import { decodeName, encodeName, isOwnRecord, recordKeyOf, type NameStyle } from '../../main/core/vault/record-layout.ts';
import { expandPrefix } from '../../main/core/vault/backend-settings.ts';

const STYLES: NameStyle[] = ['path', 'aws', 'azure'];
const ALLOWED: Record<NameStyle, RegExp> = { path: /^[A-Za-z0-9_~/-]+$/, aws: /^[A-Za-z0-9/_+=.@-]+$/, azure: /^[0-9a-z-]+$/ };
const HOSTILE = ['connection/openrouter-0123456789', 'skill-approval/../../etc/passwd', 'models/auth-order', 'oauth-client/UPPER', 'a//b', '/lead', 'trail/', 'sp ace', 'üñí/çødé', 'x-abcdef', '~7e', '+2d', '-2d', '..', '.', 'tab\there', 'nul\u0000'];

describe('record names in each store', () => {
  it.each(STYLES)('%s: every key encodes to allowed characters and decodes back exactly', (style) => {
    const seen = new Set<string>();
    for (const key of HOSTILE) {
      const name = encodeName(key, style);
      expect(name, key).toMatch(ALLOWED[style]);
      expect(decodeName(name, style), key).toBe(key);
      expect(seen.has(name), `${key} collides`).toBe(false);
      seen.add(name);
      if (style === 'path') for (const segment of name.split('/')) expect(['.', '..', '']).not.toContain(segment);
    }
  });

  it('AWS names never end in a hyphen and six characters (read as an ARN suffix)', () => {
    expect(encodeName('x-abcdef', 'aws')).not.toMatch(/-[A-Za-z0-9]{6}$/);
  });

  it('names Sophon did not write decode to nothing, so a foreign secret under the prefix is skipped', () => {
    expect(decodeName('bob-connection-2fx', 'azure')).toBeUndefined();
    expect(decodeName('Connection-2fx', 'azure')).toBeUndefined();
    expect(decodeName('a/~zz', 'path')).toBeUndefined();
    expect(decodeName('a b', 'aws')).toBeUndefined();
  });

  it('a connection is one record; internal keys belong to one installation; leases and other machines are not ours', () => {
    expect(recordKeyOf('connection/x-1', 'm1')).toBe('connection/x-1');
    expect(recordKeyOf('secret/x-1', 'm1')).toBe('connection/x-1');
    expect(recordKeyOf('provider-profile/x-1', 'm1')).toBe('connection/x-1');
    expect(recordKeyOf('internal/audit-key', 'm1')).toBe('machine/m1/internal/audit-key');
    expect(recordKeyOf('models/auth-order', 'm1')).toBe('models/auth-order');
    expect(isOwnRecord('machine/m2/internal/audit-key', 'm1')).toBe(false);
    expect(isOwnRecord('lease/connection/x', 'm1')).toBe(false);
    expect(isOwnRecord('connection/x', 'm1')).toBe(true);
  });

  it('{user} fills the prefix, which ends with the separator', () => {
    expect(expandPrefix('sophon/{user}', 'alice', '/')).toBe('sophon/alice/');
    expect(expandPrefix('team-{user}-', 'alice', '-')).toBe('team-alice-');
  });
});
