import type { AuthMethod } from '../catalog/schema.ts';

export type OAuth2Method = Extract<AuthMethod, { type: 'oauth2' }>;
export type DeviceMethod = Extract<AuthMethod, { type: 'device' }>;
