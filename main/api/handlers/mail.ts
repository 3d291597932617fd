import { SophonError, type MailChange, type MailService } from '../../core/index.ts';
import type { RequestInput, RequestOutput } from '../contract.ts';
import type { CallContext, Handlers } from '../dispatch.ts';
import { connectionView } from '../views.ts';

/** The mail tools act for an agent's skill; the window renders untrusted content and never calls them. */
function notFromWindow(ctx: CallContext): void {
  if (ctx.actor === 'window') throw new SophonError('BROKER_DENIED', 'the mail tools are for agents holding a broker token (sophon mcp), not the window');
}

/** What mail.add and mail.update share: the password (`secret`), username, servers, and whether to try first. */
function login(input: Pick<RequestInput<'mail.update'>, 'secret' | 'username' | 'imap' | 'smtp' | 'test'>) {
  return {
    ...(input.secret !== undefined ? { password: input.secret } : {}),
    ...(input.username !== undefined ? { username: input.username } : {}),
    ...(input.imap ? { imap: input.imap } : {}),
    ...(input.smtp ? { smtp: input.smtp } : {}),
    ...(input.test !== undefined ? { test: input.test } : {}),
  };
}

function changeView(change: MailChange): RequestOutput<'mail.add'> {
  return { ...(change.connection ? { connection: connectionView(change.connection) } : {}), ...(change.result ? { result: change.result } : {}), ...(change.problem ? { problem: change.problem } : {}) };
}

/** Mailboxes: connect and re-auth (CLI, window), and the owner-side mail tools (agents). */
export function mailHandlers(mail: MailService): Handlers {
  return {
    'mail.add': async (input, ctx) =>
      changeView(await mail.add({ ...login(input), service: input.service, address: input.address, password: input.secret, ...(input.label !== undefined ? { label: input.label } : {}) }, { actor: ctx.actor })),
    'mail.update': async (input, ctx) => changeView(await mail.update({ ...login(input), ref: input.ref }, { actor: ctx.actor })),
    'mail.search': async (input, ctx) => {
      notFromWindow(ctx);
      // Core results are readonly; the dispatcher parses them through the view schema on the way out.
      return (await mail.tools.search(input)) as never;
    },
    'mail.read': async (input, ctx) => {
      notFromWindow(ctx);
      return mail.tools.read(input) as never;
    },
    'mail.send': async (input, ctx) => {
      notFromWindow(ctx);
      const result = await mail.tools.send(input);
      return { ...result, rejected: [...result.rejected] };
    },
  };
}
