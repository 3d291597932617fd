import type { Command } from 'commander';
import { SophonError } from '../../core/base.ts';
import type { AuthMethodView, ConnectionView, MailServerView, MailTlsMode, ServiceSummary, TestResultView } from '../../api/contract.ts';
import { unwrap, type Out } from '../output.ts';
import { linePrompt, readSecret } from '../prompt.ts';
import type { CliContext } from '../context.ts';

export interface MailFlags {
  readonly label?: string;
  readonly address?: string;
  readonly username?: string;
  readonly imapHost?: string;
  readonly imapPort?: string;
  readonly imapTls?: string;
  readonly smtpHost?: string;
  readonly smtpPort?: string;
  readonly smtpTls?: string;
  /** false with --no-test. */
  readonly test: boolean;
}

const TLS_MODES: readonly MailTlsMode[] = ['implicit', 'starttls', 'plain'];
type Side = 'imap' | 'smtp';
const SIDE: Record<Side, string> = { imap: 'IMAP', smtp: 'SMTP' };
const USUAL_PORT: Record<Side, Record<MailTlsMode, number>> = { imap: { implicit: 993, starttls: 143, plain: 143 }, smtp: { implicit: 465, starttls: 587, plain: 587 } };

/** The flags `connect add` takes for a mailbox (the password is read like any secret, never from argv). */
export function mailOptions(command: Command): Command {
  return command
    .option('--address <email>', 'mail: the email address (also the username unless --username)')
    .option('--imap-host <host>', 'mail: IMAP server, where the service has none or to use another')
    .option('--imap-port <port>', 'mail: IMAP port (default 993 for implicit TLS, 143 for STARTTLS)')
    .option('--imap-tls <mode>', 'mail: implicit, starttls, or plain (only to 127.0.0.1/localhost)')
    .option('--smtp-host <host>', 'mail: SMTP server')
    .option('--smtp-port <port>', 'mail: SMTP port (default 465 for implicit TLS, 587 for STARTTLS)')
    .option('--smtp-tls <mode>', 'mail: implicit, starttls, or plain (only to 127.0.0.1/localhost)')
    .option('--no-test', 'mail: store without logging in first');
}

/** A visible question on the terminal; an empty answer takes the default. */
async function ask(question: string, fallback?: string): Promise<string> {
  const answer = await linePrompt(`${question}${fallback !== undefined ? ` [${fallback}]` : ''}: `);
  return answer.trim() || fallback || '';
}

/** A value from its flag, else asked at the terminal, else the error that names the flag. */
async function value(flag: string | undefined, name: string, question: string, fallback?: string): Promise<string> {
  if (flag !== undefined) return flag;
  if (process.stdin.isTTY) {
    const answer = await ask(question, fallback);
    if (answer) return answer;
  } else if (fallback !== undefined) return fallback;
  throw new SophonError('INVALID_INPUT', `${question.toLowerCase()} is needed — pass ${name}${process.stdin.isTTY ? ' or answer the question' : ' (stdin carries only the password)'}`);
}

function tlsMode(text: string, side: Side): MailTlsMode {
  const mode = text.trim().toLowerCase() === 'ssl' || text.trim().toLowerCase() === 'tls' ? 'implicit' : (text.trim().toLowerCase() as MailTlsMode);
  if (!TLS_MODES.includes(mode)) throw new SophonError('INVALID_INPUT', `--${side}-tls "${text}" is not a TLS mode — use implicit, starttls, or plain (plain only to 127.0.0.1/localhost)`);
  return mode;
}

function port(text: string, side: Side): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new SophonError('INVALID_INPUT', `--${side}-port "${text}" is not a port — give a number from 1 to 65535`);
  return n;
}

/** The server for one side: the preset's unless flags name another; asked for when there is neither. */
async function server(side: Side, preset: MailServerView | undefined, flags: MailFlags): Promise<Partial<MailServerView> | undefined> {
  const host = side === 'imap' ? flags.imapHost : flags.smtpHost;
  const portFlag = side === 'imap' ? flags.imapPort : flags.smtpPort;
  const tlsFlag = side === 'imap' ? flags.imapTls : flags.smtpTls;
  if (preset && host === undefined && portFlag === undefined && tlsFlag === undefined) return undefined;
  const chosenHost = host ?? preset?.host ?? (await value(undefined, `--${side}-host`, `${SIDE[side]} server`));
  const tls = tlsMode(tlsFlag ?? preset?.tls ?? (await value(undefined, `--${side}-tls`, `${SIDE[side]} TLS mode (implicit, starttls)`, 'implicit')), side);
  const chosenPort = portFlag !== undefined ? port(portFlag, side) : host === undefined && preset ? preset.port : port(await value(undefined, `--${side}-port`, `${SIDE[side]} port`, String(USUAL_PORT[side][tls])), side);
  return { host: chosenHost, port: chosenPort, tls };
}

type MailChange = { connection?: ConnectionView; result?: TestResultView; problem?: string };

/** Each side's answer on its own line; nothing stored becomes the command's one-line error. */
function report(out: Out, change: MailChange): ConnectionView {
  out.data(change);
  for (const part of change.result?.parts ?? []) process.stderr.write(`  ${part.ok ? 'ok    ' : 'FAILED'} ${part.message}\n`);
  if (!change.connection) throw new SophonError('TEST_FAILED', change.problem ?? 'nothing was stored');
  return change.connection;
}

/** `sophon connect add <mail service>`: address, username, servers the preset lacks, then the password. */
export async function addMail(cli: CliContext, out: Out, service: ServiceSummary, method: AuthMethodView, flags: MailFlags): Promise<void> {
  if (method.note && process.stdin.isTTY) process.stderr.write(`${method.note}\n`);
  const address = (await value(flags.address, '--address', 'Email address')).trim();
  const username = flags.username ?? (process.stdin.isTTY && flags.address === undefined ? await ask('Username', address) : address);
  const imap = await server('imap', method.imap, flags);
  const smtp = await server('smtp', method.smtp, flags);
  const where = method.help ? ` (make an app password at ${method.help})` : '';
  const password = await readSecret(`Password for ${address}${where}`);
  const change = unwrap(
    await cli.call<MailChange>('mail.add', {
      service: service.id,
      address,
      secret: password,
      ...(flags.label !== undefined ? { label: flags.label } : {}),
      ...(username !== address ? { username } : {}),
      ...(imap ? { imap } : {}),
      ...(smtp ? { smtp } : {}),
      ...(flags.test === false ? { test: false } : {}),
    }),
  );
  const c = report(out, change);
  out.line(`connected ${c.service} as "${c.label}" (${c.id})${change.result ? '' : ` — not tried yet; check it with \`sophon connect test ${c.service}:${c.label}\``}`);
}

/** `sophon connect reauth` for a mailbox: a new (app) password, tried on both sides before it replaces the old one. */
export async function reauthMail(cli: CliContext, out: Out, connection: ConnectionView, flags: Pick<MailFlags, 'test'>): Promise<void> {
  const service = unwrap(await cli.call<ServiceSummary>('catalog.get', { id: connection.service }));
  const help = service.auth.find((m) => m.type === 'smtp_imap')?.help;
  if (connection.stateReason) process.stderr.write(`${connection.service}:${connection.label}: ${connection.stateReason}\n`);
  const password = await readSecret(`New password for ${connection.account ?? connection.label}${help ? ` (make an app password at ${help})` : ''}`);
  const change = unwrap(await cli.call<MailChange>('mail.update', { ref: connection.id, secret: password, ...(flags.test === false ? { test: false } : {}) }));
  const c = report(out, change);
  out.line(`${c.service}:${c.label} has the new password — ${c.state === 'active' ? 'active' : c.state}`);
}
