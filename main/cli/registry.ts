import type { Command } from 'commander';
import type { CliContext } from './context.ts';

/** Adds one command (or one subcommand of its group) to `parent`: the `sophon` program, or the group. */
export type Register = (parent: Command, cli: CliContext) => void;

/**
 * One `sophon` command. Its code is imported only when it runs (or when its help is asked
 * for); `sophon --help` is built from `summary` alone, so adding a command costs nothing at
 * start-up. To add a command, add one entry here:
 *
 *   { name: 'mcp', summary: 'an MCP server over stdio for local agents', load: async () => (await import('./commands/mcp.ts')).registerMcp },
 *
 * and in that file export `registerMcp(program, cli)`, which calls `program.command('mcp')…`.
 * A group shared by several files (`sophon vault restore`, `sophon vault migrate`) has one
 * entry per subcommand with `sub` set; the group's own line lives in GROUPS, and each
 * register function receives the group command as `parent` and adds its subcommand to it.
 */
export interface CommandEntry {
  /** The word after `sophon`. */
  readonly name: string;
  /** For a subcommand of a group: its word (`restore` in `sophon vault restore`). */
  readonly sub?: string;
  /** One line for `sophon --help` (and for the group's help, for a subcommand). */
  readonly summary: string;
  readonly load: () => Promise<Register>;
}

/** Groups whose subcommands come from several files: their description in `sophon --help`. */
export const GROUPS: Readonly<Record<string, string>> = {
  vault: 'the vault itself: restore vault.enc from its backup, or move every record to another backend',
};

/** Every command, in the order `sophon --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'serve', summary: 'own the vault without a desktop: socket, refresh, broker proxy (see `sophon serve --help`)', load: async () => (program) => void program.command('serve').allowUnknownOption(true) },
  { name: 'connect', summary: 'manage connections to services', load: async () => (await import('./commands/connect.ts')).registerConnect },
  { name: 'catalog', summary: 'list the services Sophon can connect (built-in and custom connectors)', load: async () => (await import('./commands/catalog.ts')).registerCatalog },
  { name: 'audit', summary: 'show the audit trail of credential access (newest first)', load: async () => (await import('./commands/audit.ts')).registerAudit },
  { name: 'doctor', summary: 'check the vault, its protector, the keyring, permissions and the owner', load: async () => (await import('./commands/doctor.ts')).registerDoctor },
  { name: 'vault', sub: 'restore', summary: 'put config/vault.enc.bak back in place of a damaged vault, saying what it holds and what is lost', load: async () => (await import('./commands/vault-restore.ts')).registerVaultRestore },
  { name: 'vault', sub: 'migrate', summary: 'copy every record to another backend (Local, HashiCorpVault, AwsSecretsManager, AzureKeyVault), verify, then switch appsettings.json', load: async () => (await import('./commands/vault.ts')).registerVault },
  { name: 'skills', summary: 'skill manifests: which connections an agent skill may use through the broker', load: async () => (await import('./commands/skills.ts')).registerSkills },
  { name: 'broker', summary: 'broker tokens: short-lived, per-skill access to connections through the local proxy', load: async () => (await import('./commands/broker.ts')).registerBroker },
  { name: 'models', summary: 'model providers: subscriptions (Claude, ChatGPT/Codex, Copilot) and API keys, as auth profiles', load: async () => (await import('./commands/models.ts')).registerModels },
  { name: 'mcp', summary: 'an MCP server on stdin/stdout for agents (Claude Code, Codex, any MCP client): your connections through the broker, for one skill', load: async () => (await import('./commands/mcp.ts')).registerMcp },
  { name: 'run', summary: 'run a program unmodified with broker tokens where its SDKs look for keys; exits with its status', load: async () => (await import('./commands/run.ts')).registerRun },
];

/** The first word of argv that is not an option: the command asked for. */
function firstWord(argv: readonly string[]): string | undefined {
  return argv.find((arg) => !arg.startsWith('-'));
}

/**
 * Registers on `program` only what this argv needs: the command it names (loading its
 * code), or, for `sophon`, `sophon --help` and unknown commands, a line per command.
 */
export async function registerFor(program: Command, argv: readonly string[], cli: CliContext, commands: readonly CommandEntry[] = COMMANDS): Promise<void> {
  let word = firstWord(argv);
  let rest = word === undefined ? [] : argv.slice(argv.indexOf(word) + 1);
  if (word === 'help') {
    // `sophon help connect` is `sophon connect --help`.
    word = firstWord(rest);
    rest = word === undefined ? [] : rest.slice(rest.indexOf(word) + 1);
  }
  const chosen = commands.filter((entry) => entry.name === word);
  if (chosen.length === 0) {
    const seen = new Set<string>();
    for (const entry of commands) {
      if (seen.has(entry.name)) continue;
      seen.add(entry.name);
      program.command(entry.name).description(entry.sub ? (GROUPS[entry.name] ?? entry.summary) : entry.summary);
    }
    return;
  }
  const grouped = chosen.filter((entry) => entry.sub !== undefined);
  if (grouped.length === 0) {
    for (const entry of chosen) (await entry.load())(program, cli);
    return;
  }
  const group = program.command(word as string).description(GROUPS[word as string] ?? grouped.map((e) => e.summary).join('; '));
  const subWord = firstWord(rest);
  const subs = grouped.filter((entry) => entry.sub === subWord);
  if (subs.length > 0) {
    for (const entry of subs) (await entry.load())(group, cli);
    return;
  }
  // `sophon vault` or `sophon vault --help` or an unknown subcommand: describe each without loading it.
  for (const entry of grouped) group.command(entry.sub as string).description(entry.summary);
}
