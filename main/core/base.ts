// The part of the core a host needs before it knows whether it will open the vault (errors,
// paths, prompt rules, the passphrase KDF, the environment). It loads nothing else, so `sophon --help` and a command answered by
// the running owner never load the rest of the core. Hosts may import this or index.ts.
// Only `export *` here: esbuild keeps what this file reaches apart from the rest of the core.
export * from './errors.ts';
export * from './paths.ts';
export * from './child-env.ts';
export * from './vault/passphrase-rules.ts';
export * from './vault/scrypt-kdf.ts';
