/**
 * What Sophon passes to the programs it starts (the browser opener, `gh auth token`,
 * `security`, Electron's helpers): the environment without Sophon's own variables, so the
 * vault passphrase (SOPHON_VAULT_PASSPHRASE) or any later SOPHON_* secret never reaches a
 * child, or anything the child starts in turn; and without the team vault backends' store
 * credentials (STORE_CREDENTIAL_VARIABLES), which open the whole vault prefix and which no
 * browser or CLI reader needs. `sophon run --keep-env NAME` puts one back deliberately.
 */
export function childEnvironment(env: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !/^SOPHON_/i.test(name) && !isStoreCredential(name)) out[name] = value;
  }
  return out;
}

/** Windows spells variable names in any case and treats them as one. */
export function isStoreCredential(name: string): boolean {
  return STORE_CREDENTIALS.has(name.toUpperCase());
}

/** Variables that hold secrets: a host reads them once, then takes them out of its own environment. */
export const SECRET_VARIABLES = ['SOPHON_VAULT_PASSPHRASE'] as const;

/**
 * A copy of `process.env` for the host to read its settings from, after which the secret
 * variables are gone from the process itself: children a library starts with the
 * inherited environment (Electron's shell.openExternal, its renderer and GPU processes)
 * then never see them.
 */
export function takeSecretsFromProcessEnv(): NodeJS.ProcessEnv {
  const copy = { ...process.env };
  for (const name of SECRET_VARIABLES) delete process.env[name];
  return copy;
}

/**
 * Credentials of the secret stores a team vault backend reads from the environment (the
 * HashiCorp Vault token, the AWS and Azure credential chains). Whoever holds one can read
 * the whole vault prefix, so no child of Sophon gets them (childEnvironment), and `sophon
 * run` passes one to the program it starts only when the person names it with `--keep-env`.
 */
export const STORE_CREDENTIAL_VARIABLES = [
  'VAULT_TOKEN',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  'AZURE_PASSWORD',
] as const;

const STORE_CREDENTIALS: ReadonlySet<string> = new Set(STORE_CREDENTIAL_VARIABLES);
