/**
 * What Sophon passes to the programs it starts (the browser opener, `gh auth token`,
 * `security`, Electron's helpers): the environment without Sophon's own variables, so the
 * vault passphrase (SOPHON_VAULT_PASSPHRASE) or any later SOPHON_* secret never reaches a
 * child, or anything the child starts in turn.
 */
export function childEnvironment(env: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !/^SOPHON_/i.test(name)) out[name] = value;
  }
  return out;
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
