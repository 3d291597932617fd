import { SophonError, runEnvironment, type Broker, type ToolRegistry } from '../../core/index.ts';
import type { CallContext, Handlers } from '../dispatch.ts';

/** Agents reach connections only through `sophon mcp` and `sophon run`; the window renders untrusted content and does neither. */
function refuseWindow(ctx: CallContext, what: string): void {
  if (ctx.actor === 'window') throw new SophonError('BROKER_DENIED', `${what} is for agent runtimes (sophon mcp, sophon run), not the window`);
}

/** `sophon mcp` (tools run here, in the owner) and `sophon run` (a token and variables for a child). */
export function agentHandlers(broker: Broker, tools: ToolRegistry): Handlers {
  return {
    'agents.tools': async (input) => ({ tools: (await tools.list(input.skill)).map((t) => ({ ...t, ...(t.annotations ? { annotations: { ...t.annotations } } : {}) })) }),
    'agents.call': async (input, ctx) => {
      refuseWindow(ctx, 'calling an agent tool');
      const result = await tools.call({
        skill: input.skill,
        ...(input.agent !== undefined ? { agent: input.agent } : {}),
        tool: input.tool,
        callId: input.callId,
        arguments: input.arguments,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      return { isError: result.isError === true, text: result.text };
    },
    'agents.run': async (input, ctx) => {
      refuseWindow(ctx, 'starting a program with broker tokens');
      const proxyUrl = broker.proxyUrl;
      if (!proxyUrl) {
        await broker.skills.requireApproved(input.skill);
        throw new SophonError('BROKER_NOT_RUNNING', 'no broker proxy is running — start `sophon serve` (or the desktop app) with Sophon.Broker.Enabled, then run again');
      }
      const minted = await broker.mint(
        { skill: input.skill, tool: input.tool, ...(input.connections ? { connections: input.connections } : {}), ...(input.agent !== undefined ? { agent: input.agent } : {}) },
        { actor: ctx.actor, via: 'socket' },
      );
      // The child's token lives as long as `sophon run` holds this connection: it ends with it, even on a crash.
      ctx.onSessionEnd?.(() => {
        if (broker.tokens.list().some((r) => r.id === minted.id)) broker.revoke(minted.id, { actor: 'runtime' });
      });
      const record = broker.tokens.list().find((r) => r.id === minted.id);
      const catalog = broker.core.catalog;
      const environment = runEnvironment({ catalog: catalog.list(), service: (id) => catalog.get(id), connections: record?.connections ?? [], proxyUrl, token: minted.token });
      const lifetime = Math.max(1, Math.round((minted.expiresAt - broker.core.ports.clock.now()) / 1000));
      return { token: { ...minted, connections: [...minted.connections] }, env: { ...environment.env }, unset: [...environment.unset], warnings: [...environment.warnings], renewSeconds: Math.max(1, Math.floor(lifetime / 3)) };
    },
    'broker.renew': async (input, ctx) => {
      refuseWindow(ctx, 'renewing a broker token');
      const record = broker.renew(input.id);
      return { id: record.id, expiresAt: record.expiresAt };
    },
  };
}
