// The only surface the hosts (desktop, headless, CLI) and main/api import.
export * from './errors.ts';
export * from './ports.ts';
export * from './paths.ts';
export * from './settings.ts';
export * from './sophon-core.ts';
export * from './catalog/schema.ts';
export { Catalog, parseConnector, checkBaseUrl, isLoopbackHost, resolveBaseUrl, type ConnectorProblem } from './catalog/catalog.ts';
export * from './connections/model.ts';
export * from './connections/attach.ts';
export * from './connections/connection-service.ts';
export * from './audit/audit-log.ts';
export * from './vault/types.ts';
export { LocalFileVault } from './vault/local-vault.ts';
export { PassphraseProtector, DEFAULT_SCRYPT, type PassphraseSource } from './vault/passphrase-protector.ts';
export { KeyringProtector, KEYRING_SERVICE } from './vault/keyring-protector.ts';
export { headlessProtectors, type HeadlessProtectorOptions } from './vault/protector-choice.ts';
export { OwnerLock, readLock, lockIsLive, describeOwner, type LockInfo } from './vault/owner-lock.ts';
export { parseVaultFile } from './vault/format.ts';
