import { SophonError, type MailService } from '../../core/index.ts';
import type { CallContext, Handlers } from '../dispatch.ts';
import { connectionView } from '../views.ts';

/** The mail tools act for an agent's skill; the window renders untrusted content and never calls them. */
function notFromWindow(ctx: CallContext): void {
  if (ctx.actor === 'window') throw new SophonError('BROKER_DENIED', 'the mail tools are for agents holding a broker token (sophon mcp), not the window');
}

/** Mailboxes: connect and re-auth (CLI, window), and the owner-side mail tools (agents). */
export function mailHandlers(mail: MailService): Handlers {
  return {
    'mail.add': async (input, ctx) => {
      const { connection, result, problem } = await mail.add(
        {
          service: input.service,
          address: input.address,
          password: input.secret,
          ...(input.label !== undefined ? { label: input.label } : {}),
          ...(input.username !== undefined ? { username: input.username } : {}),
          ...(input.imap ? { imap: input.imap } : {}),
          ...(input.smtp ? { smtp: input.smtp } : {}),
          ...(input.test !== undefined ? { test: input.test } : {}),
        },
        { actor: ctx.actor },
      );
      return { ...(connection ? { connection: connectionView(connection) } : {}), ...(result ? { result } : {}), ...(problem ? { problem } : {}) };
    },
    'mail.update': async (input, ctx) => {
      const { connection, result, problem } = await mail.update(
        {
          ref: input.ref,
          ...(input.secret !== undefined ? { password: input.secret } : {}),
          ...(input.username !== undefined ? { username: input.username } : {}),
          ...(input.imap ? { imap: input.imap } : {}),
          ...(input.smtp ? { smtp: input.smtp } : {}),
          ...(input.test !== undefined ? { test: input.test } : {}),
        },
        { actor: ctx.actor },
      );
      return { ...(connection ? { connection: connectionView(connection) } : {}), ...(result ? { result } : {}), ...(problem ? { problem } : {}) };
    },
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
