import type { Command } from 'commander';
import { join } from 'node:path';
import { BROKER_TOKEN_PREFIX, RUNTIME_KEY_FILE, SophonError, resolveHome, sophonPaths, tokenId } from '../../core/index.ts';
import type { BrokerStatusView, MintedTokenView } from '../../api/contract.ts';
import { formatExpiry, output, table, unwrap } from '../output.ts';
import type { CliContext } from '../context.ts';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A word the shell takes as it is. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * curl commands that keep the runtime key and broker tokens off every command line (argv is
 * readable by any local user with `ps`): the header goes to curl on stdin (`-H @-`), made
 * by printf, a shell builtin, from a file or a variable.
 */
export function curlForms(proxyUrl: string, runtimeKeyFile: string): { mint: string; call: string } {
  const origin = proxyUrl.replace(/\/proxy$/, '');
  return {
    mint: `printf 'Authorization: Bearer %s\\n' "$(cat ${shellWord(runtimeKeyFile)})" | curl -sS -H @- -H 'content-type: application/json' -d '{"skill": "SKILL", "tool": "TOOL"}' ${origin}/broker/mint`,
    call: `printf 'Authorization: Bearer %s\\n' "$TOKEN" | curl -sS -H @- ${proxyUrl}/CONNECTION/PATH`,
  };
}

export function registerBroker(program: Command, cli: CliContext): void {
  const broker = program.command('broker').description('broker tokens: short-lived, per-skill access to connections through the local proxy');

  broker
    .command('mint')
    .description('mint a broker token for one skill and one tool call (prints the token on stdout)')
    .requiredOption('--skill <id>', 'the approved skill')
    .requiredOption('--tool <name>', 'the tool call this token is for')
    .option('--connection <ref>', 'a connection it may use: id, service or service:label (repeatable; default: all its grant covers)', collect, [])
    .option('--ttl <seconds>', 'lifetime in seconds (default 300, capped by Sophon.Broker.MaxTtlSeconds)')
    .option('--agent <name>', 'whose auth order picks the profile when a call names a model provider (/proxy/anthropic/…)')
    .option('--json', 'print JSON')
    .action(async (opts: { skill: string; tool: string; connection: string[]; ttl?: string; agent?: string; json?: boolean }) => {
      const out = output(Boolean(opts.json));
      let ttlSeconds: number | undefined;
      if (opts.ttl !== undefined) {
        ttlSeconds = Number(opts.ttl);
        if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new SophonError('INVALID_INPUT', `--ttl "${opts.ttl}" is not a whole number of seconds — e.g. --ttl 60`);
      }
      const minted = unwrap(
        await cli.call<MintedTokenView>('broker.mint', {
          skill: opts.skill,
          tool: opts.tool,
          ...(opts.connection.length ? { connections: opts.connection } : {}),
          ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
          ...(opts.agent !== undefined ? { agent: opts.agent } : {}),
        }),
      );
      out.data(minted);
      if (!out.json) {
        process.stdout.write(`${minted.token}\n`);
        const where = minted.connections.map((c) => `${minted.proxyUrl ?? '/proxy'}/${c.id}/…${c.state === 'needs_reauth' ? ' (NEEDS RE-AUTH)' : ''}`).join(', ');
        process.stderr.write(`sophon: token ${minted.id} for ${minted.skill}/${minted.tool}, expires ${formatExpiry(minted.expiresAt)}; call ${where} with Authorization: Bearer <token>\n`);
      }
    });

  broker
    .command('revoke [token-id]')
    .description('revoke one broker token (its id btk_…, or the token itself), or --all of them (the kill switch)')
    .option('--all', 'revoke every live broker token')
    .option('--json', 'print JSON')
    .action(async (ref: string | undefined, opts: { all?: boolean; json?: boolean }) => {
      const out = output(Boolean(opts.json));
      if (!opts.all && !ref) throw new SophonError('INVALID_INPUT', 'name a token id (see `sophon broker status`) or pass --all — nothing was revoked');
      if (opts.all && ref) throw new SophonError('INVALID_INPUT', 'give a token id or --all, not both — nothing was revoked');
      // A pasted token is turned into its id here, so the token itself never travels.
      const id = ref?.startsWith(BROKER_TOKEN_PREFIX) ? tokenId(ref) : ref;
      const result = unwrap(await cli.call<{ revoked: number }>('broker.revoke', opts.all ? { all: true } : { id }));
      out.data(result);
      out.line(opts.all ? `revoked all broker tokens (${result.revoked} were live)` : `revoked ${id}`);
    });

  broker
    .command('status')
    .description('is the proxy running, where, and which tokens are live')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const status = unwrap(await cli.call<BrokerStatusView>('broker.status', {}));
      const runtimeKeyFile = join(sophonPaths(resolveHome(cli.env)).runDir, RUNTIME_KEY_FILE);
      const curl = status.running && status.proxyUrl ? curlForms(status.proxyUrl, runtimeKeyFile) : undefined;
      out.data({ ...status, runtimeKeyFile, ...(curl ? { curl } : {}) });
      out.line(status.running ? `proxy: ${status.proxyUrl}  (runtime key: ${runtimeKeyFile})` : 'proxy: not running — start `sophon serve` or the desktop app');
      if (curl) {
        out.line('mint over HTTP (the key stays off the command line, where `ps` shows it to every user):');
        out.line(`  ${curl.mint}`);
        out.line('call with a broker token in $TOKEN (TOKEN=$(sophon broker mint --skill SKILL --tool TOOL)):');
        out.line(`  ${curl.call}`);
      }
      out.line(`token lifetime: ${status.defaultTtlSeconds} s by default, at most ${status.maxTtlSeconds} s`);
      if (status.live.length === 0) out.line('no live broker tokens');
      else out.line(table([['ID', 'SKILL', 'TOOL', 'CONNECTIONS', 'EXPIRES'], ...status.live.map((t) => [t.id, t.skill, t.tool, t.connections.map((c) => `${c.service}:${c.label}`).join(', '), formatExpiry(t.expiresAt)])]));
    });
}
