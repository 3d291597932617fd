import type { ServiceDefinitionInput } from '../schema.ts';

/** One entry of `auth` as an author writes it (defaults not yet applied). */
export type AuthMethodInput = ServiceDefinitionInput['auth'][number];
export type OAuth2MethodInput = Extract<AuthMethodInput, { type: 'oauth2' }>;
export type DeviceMethodInput = Extract<AuthMethodInput, { type: 'device' }>;
export type AttachInput = NonNullable<ServiceDefinitionInput['attach']>;
export type ServiceParamInput = NonNullable<ServiceDefinitionInput['params']>[number];
export type RevocationInput = NonNullable<OAuth2MethodInput['revocation']>;
export type TestCallInput = NonNullable<ServiceDefinitionInput['test']>;
