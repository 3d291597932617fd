import type { Command } from 'commander';
import { SophonError, TERMS_NOTICE } from '../../core/index.ts';
import type { AuthOrderView, CliStatusView, ModelsStatusView, ProfileResultView, ProfileView, SignInStarted } from '../../api/contract.ts';
import { formatExpiry, output, table, unwrap, type Out } from '../output.ts';
import { SECRET_MAX_CHARS, hiddenPrompt, readSecret } from '../prompt.ts';
import type { CliContext } from '../context.ts';
import { followSignIn } from './connect-add.ts';

/** "365d", "12h", "30m", "90s" or a number of seconds → seconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!match || Number(match[1]) <= 0) throw new SophonError('INVALID_INPUT', `--expires-in "${value}" is not a duration — use e.g. 365d, 12h or 30m`);
  return Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
}

function stateText(p: ProfileView): string {
  return p.state === 'needs_reauth' ? 'NEEDS RE-AUTH' : p.state === 'expired' || p.state === 'missing' || p.state === 'error' ? p.state.toUpperCase() : p.state;
}

function expiryText(p: ProfileView): string {
  if (p.expiresAt === undefined) return 'no expiry';
  return p.refreshable ? `${formatExpiry(p.expiresAt)} (renewed)` : formatExpiry(p.expiresAt);
}

function printProfile(out: Out, result: ProfileResultView, verb: string): void {
  for (const warning of result.warnings) out.warn(warning);
  out.data(result);
  const p = result.profile;
  out.line(`${verb} ${p.id} (${p.source}, ${p.state}${p.expiresAt !== undefined ? `, expires ${formatExpiry(p.expiresAt)}` : ''})`);
  if (p.billing === 'subscription') out.line(result.notice);
}

export function registerModels(program: Command, cli: CliContext): void {
  const models = program.command('models').description('model providers: subscriptions (Claude, ChatGPT/Codex, Copilot) and API keys, as auth profiles');

  models
    .command('status')
    .description('providers and their profiles: source, state, expiry; --check exits 0 usable, 1 expired or missing, 2 expiring within 24 h')
    .option('--check', 'exit 0 when all profiles are usable, 1 when one is expired or missing, 2 when one expires within 24 h')
    .option('--agent <name>', 'show the order this agent resolves profiles in')
    .option('--json', 'print JSON')
    .action(async (opts: { check?: boolean; agent?: string; json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const status = unwrap(await cli.call<ModelsStatusView>('models.status', { ...(opts.agent ? { agent: opts.agent } : {}) }));
      out.data(status);
      if (status.profiles.length > 0) {
        out.line(
          table([
            ['PROFILE', 'SOURCE', 'STATE', 'EXPIRES', 'PLAN / ACCOUNT', 'COST'],
            ...status.profiles.map((p) => [p.id, p.source, stateText(p), expiryText(p), [p.plan, p.account].filter(Boolean).join(' / ') || '-', p.cost ? '0 per token (plan)' : 'per token']),
          ]),
        );
        for (const p of status.profiles) if (p.reason && p.state !== 'usable') out.line(`  ${p.id}: ${p.reason}`);
      } else {
        out.line('no model provider profiles yet — `sophon models auth login --provider openai-codex|github-copilot`, `sophon models auth sync --provider anthropic`, or `sophon connect add anthropic`');
      }
      const ordered = status.providers.filter((p) => p.order.length > 1);
      for (const p of ordered) out.line(`order ${p.id}${opts.agent ? ` (agent ${opts.agent})` : ''}: ${p.order.join(' → ')}`);
      const idle = status.providers.filter((p) => !status.profiles.some((profile) => profile.provider === p.id)).map((p) => p.id);
      if (idle.length > 0) out.line(`not set up: ${idle.join(', ')}`);
      out.line('');
      out.line(status.notice);
      if (opts.check) {
        const { exitCode, problems } = status.check;
        out.line(exitCode === 0 ? 'check: all profiles usable' : `check: ${exitCode === 1 ? 'expired or missing' : 'expiring within 24 h'} — ${problems.join('; ')}`);
        cli.setExitCode(exitCode);
      }
    });

  models
    .command('cli')
    .description('whether Claude Code, Codex and gh are installed and signed in (no token is shown)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const list = unwrap(await cli.call<CliStatusView[]>('models.cliStatus', {}));
      out.data(list);
      for (const c of list) {
        out.line(`${c.name.padEnd(12)} ${c.installed ? 'installed' : 'not installed'}, ${c.signedIn ? `signed in${c.profile ? ` → ${c.profile}` : ''}` : 'not signed in'}`);
        out.line(`             ${c.message}${!c.signedIn || c.state === 'expired' ? '' : c.location ? ` (${c.location})` : ''}`);
      }
    });

  models
    .command('test <profile>')
    .description('prove a profile works: a one-token Claude request, a Copilot token exchange, …')
    .option('--json', 'print JSON')
    .action(async (profile: string, opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const result = unwrap(await cli.call<{ profile: ProfileView; ok: boolean; message: string; code?: string }>('models.test', { profile }));
      out.data(result);
      out.line(`${result.ok ? 'ok' : 'FAILED'}: ${result.profile.id} — ${result.message}`);
      if (!result.ok) cli.setExitCode(1);
    });

  models
    .command('resolve')
    .description('which profile a provider\'s credential comes from now (the agent\'s order, skipping unusable ones)')
    .requiredOption('--provider <provider>', 'e.g. anthropic, openai-codex, github-copilot')
    .option('--agent <name>', 'use this agent\'s order')
    .option('--json', 'print JSON')
    .action(async (opts: { provider: string; agent?: string; json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const result = unwrap(await cli.call<{ profile: ProfileView; skipped: Array<{ id: string; reason: string }> }>('models.resolve', { provider: opts.provider, ...(opts.agent ? { agent: opts.agent } : {}) }));
      out.data(result);
      for (const s of result.skipped) out.line(`skipped ${s.id}: ${s.reason}`);
      out.line(`${result.profile.id} (${result.profile.source}, ${result.profile.state})`);
    });

  registerAuth(models, cli);
}

function registerAuth(models: Command, cli: CliContext): void {
  const auth = models.command('auth').description('sign in to model providers and manage their profiles');

  auth
    .command('login')
    .description('sign in: openai-codex in the browser (PKCE; paste back the address with --no-browser), github-copilot by device code')
    .requiredOption('--provider <provider>', 'openai-codex or github-copilot')
    .option('--profile <name>', 'the profile name (default: default)')
    .option('--no-browser', 'do not open a browser: print the URL and accept the redirected address pasted back')
    .option('--json', 'print JSON (one object per line for each step)')
    .action(async (opts: { provider: string; profile?: string; browser: boolean; json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const method = opts.provider === 'openai-codex' ? 'oauth2' : opts.provider === 'github-copilot' ? 'device' : undefined;
      if (!method) {
        const fix =
          opts.provider === 'anthropic'
            ? 'Claude subscriptions sign in through Claude Code: run `claude auth login`, then `sophon models auth sync --provider anthropic` (or `sophon models auth setup-token --provider anthropic`)'
            : `add a key with \`sophon connect add <service>\` or \`sophon models auth paste-token --provider ${opts.provider}\``;
        throw new SophonError('NOT_SUPPORTED', `${opts.provider} has no sign-in of Sophon's own — ${fix}`);
      }
      const started = unwrap(await cli.call<SignInStarted>('signin.start', { service: opts.provider, method, ...(opts.profile ? { label: opts.profile } : {}) }));
      const connection = await followSignIn(cli, out, started, { browser: opts.browser, json: Boolean(opts.json) });
      if (opts.provider === 'github-copilot') {
        const test = unwrap(await cli.call<{ ok: boolean; message: string }>('models.test', { profile: `github-copilot:${connection.label}` }));
        out.data({ step: 'copilot', ok: test.ok, message: test.message });
        if (test.ok) out.line(test.message);
        else {
          out.warn(test.message);
          cli.setExitCode(1);
        }
      }
      out.line(TERMS_NOTICE);
    });

  auth
    .command('setup-token')
    .description('paste the token `claude setup-token` prints (about a year, no refresh); needs a terminal')
    .requiredOption('--provider <provider>', 'anthropic')
    .option('--profile <name>', 'the profile name (default: default)')
    .option('--expires-in <duration>', 'how long it lasts, when you know (e.g. 365d)')
    .option('--json', 'print JSON')
    .action(async (opts: { provider: string; profile?: string; expiresIn?: string; json?: boolean }) => {
      const out = output(Boolean(opts.json));
      if (opts.provider !== 'anthropic') throw new SophonError('INVALID_INPUT', `setup-token is Claude Code's (--provider anthropic) — for ${opts.provider} use \`sophon models auth paste-token --provider ${opts.provider}\``);
      if (!process.stdin.isTTY) throw new SophonError('INVALID_INPUT', 'setup-token needs an interactive terminal — pipe the token to `sophon models auth paste-token --provider anthropic` instead');
      process.stderr.write('Run `claude setup-token` in another terminal (it needs one too), sign in, and paste the sk-ant-oat01-… token it prints.\n');
      const token = await hiddenPrompt('Claude Code token (hidden): ');
      await storeToken(cli, out, { provider: 'anthropic', token, ...(opts.profile ? { profile: opts.profile } : {}), ...(opts.expiresIn ? { expiresIn: opts.expiresIn } : {}) });
    });

  auth
    .command('paste-token')
    .description('store a token for any provider, read from stdin or a hidden prompt (never from arguments)')
    .requiredOption('--provider <provider>', 'e.g. anthropic, github-copilot, openai-codex, openrouter')
    .option('--profile <name>', 'the profile name (default: default)')
    .option('--expires-in <duration>', 'how long it lasts, when the token does not say (e.g. 365d)')
    .option('--json', 'print JSON')
    .action(async (opts: { provider: string; profile?: string; expiresIn?: string; json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const token = await readSecret(`${opts.provider} token`, 2 * SECRET_MAX_CHARS);
      await storeToken(cli, out, { provider: opts.provider, token, ...(opts.profile ? { profile: opts.profile } : {}), ...(opts.expiresIn ? { expiresIn: opts.expiresIn } : {}) });
    });

  auth
    .command('sync')
    .description('link a CLI\'s sign-in (Claude Code, Codex, gh) as a profile: read in place, never copied or refreshed')
    .requiredOption('--provider <provider>', 'anthropic, openai-codex or github-copilot')
    .option('--profile <name>', 'the profile name (default: claude-cli, codex-cli or gh-cli)')
    .option('--json', 'print JSON')
    .action(async (opts: { provider: string; profile?: string; json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const result = unwrap(await cli.call<ProfileResultView>('models.sync', { provider: opts.provider, ...(opts.profile ? { profile: opts.profile } : {}) }));
      printProfile(out, result, 'linked');
    });

  const order = auth.command('order').description('which profile of a provider is tried first, per agent (kept in the vault)');
  const orderOptions = (command: Command) =>
    command.requiredOption('--provider <provider>', 'the provider').option('--agent <name>', 'only for this agent (default: every agent)').option('--json', 'print JSON');
  const printOrder = (out: Out, view: AuthOrderView) => {
    out.data(view);
    const scope = view.scope === 'agent' ? `agent ${view.agent}` : view.scope === 'provider' ? 'every agent' : 'default order';
    out.line(`${view.provider} (${scope}): ${view.effective.length > 0 ? view.effective.join(' → ') : 'no profiles'}`);
  };
  orderOptions(order.command('get').description('show the order'))
    .action(async (opts: { provider: string; agent?: string; json?: boolean }) => {
      printOrder(output(Boolean(opts.json)), unwrap(await cli.call<AuthOrderView>('models.orderGet', { provider: opts.provider, ...(opts.agent ? { agent: opts.agent } : {}) })));
    });
  orderOptions(order.command('set <profiles...>').description('try these profiles first, in this order (provider:name or name)'))
    .action(async (profiles: string[], opts: { provider: string; agent?: string; json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const result = unwrap(await cli.call<{ order: AuthOrderView; warnings: string[] }>('models.orderSet', { provider: opts.provider, profiles, ...(opts.agent ? { agent: opts.agent } : {}) }));
      for (const warning of result.warnings) out.warn(warning);
      printOrder(out, result.order);
    });
  orderOptions(order.command('clear').description('forget the order (back to the default)'))
    .action(async (opts: { provider: string; agent?: string; json?: boolean }) => {
      printOrder(output(Boolean(opts.json)), unwrap(await cli.call<AuthOrderView>('models.orderClear', { provider: opts.provider, ...(opts.agent ? { agent: opts.agent } : {}) })));
    });
}

async function storeToken(cli: CliContext, out: Out, input: { provider: string; token: string; profile?: string; expiresIn?: string }): Promise<void> {
  const result = unwrap(
    await cli.call<ProfileResultView>('models.pasteToken', {
      provider: input.provider,
      secret: input.token,
      ...(input.profile ? { profile: input.profile } : {}),
      ...(input.expiresIn ? { expiresInSeconds: parseDuration(input.expiresIn) } : {}),
    }),
  );
  printProfile(out, result, 'stored');
}
