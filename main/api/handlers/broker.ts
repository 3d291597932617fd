import { SophonError, grantHash, tokenView, type Broker, type SkillRecord } from '../../core/index.ts';
import type { SkillView } from '../contract.ts';
import type { Handlers } from '../dispatch.ts';

export function skillView(record: SkillRecord): SkillView {
  const manifest = record.manifest;
  return {
    id: record.id,
    ...(manifest ? { name: manifest.name } : {}),
    ...(manifest?.description ? { description: manifest.description } : {}),
    file: record.file,
    status: record.status,
    grants: (record.grant?.credentials ?? []).map((c) => ({ ref: c.ref, methods: c.methods, paths: c.paths, ...(c.send === false ? { send: false } : {}) })),
    tools: record.grant?.tools ?? null,
    ...(record.grant ? { grantHash: grantHash(record.grant) } : {}),
    ...(record.approval ? { approvedAt: record.approval.approvedAt } : {}),
    ...(record.problem ? { problem: record.problem } : {}),
    ...(record.excess ? { excess: [...record.excess] } : {}),
    ...(record.approval
      ? { approved: { grants: record.approval.grant.credentials.map((c) => ({ ref: c.ref, methods: c.methods, paths: c.paths })), tools: record.approval.grant.tools } }
      : {}),
  };
}

/** Skills and broker tokens: the owner's Broker behind the contract. */
export function brokerHandlers(broker: Broker): Handlers {
  return {
    'skills.list': async () => (await broker.skills.list()).map(skillView),
    'skills.add': async (input, ctx) => skillView(await broker.addSkill(input.manifest, { actor: ctx.actor })),
    'skills.approve': async (input, ctx) => {
      if (input.grantHash !== undefined) {
        const current = await broker.skills.get(input.id);
        if (!current.grant || grantHash(current.grant) !== input.grantHash) {
          throw new SophonError('INVALID_INPUT', `skill "${input.id}" changed since it was shown for approval — review it again`);
        }
      }
      return skillView(await broker.approveSkill(input.id, { actor: ctx.actor }));
    },
    'skills.revoke': async (input, ctx) => {
      const { skill, tokensRevoked } = await broker.revokeSkill(input.id, { actor: ctx.actor });
      return { skill: skillView(skill), revoked: tokensRevoked };
    },
    'skills.remove': async (input, ctx) => {
      const { skill, tokensRevoked } = await broker.removeSkill(input.id, { actor: ctx.actor });
      return { skill: skillView(skill), revoked: tokensRevoked };
    },
    'broker.mint': async (input, ctx) => {
      // The window renders untrusted content; only the CLI and agent runtimes mint.
      if (ctx.actor === 'window') throw new SophonError('BROKER_DENIED', 'broker tokens are minted by an agent runtime or the CLI, not from the window');
      if (!broker.proxyUrl) {
        // Say what else is wrong first, so one fix is not followed by another refusal.
        await broker.skills.requireApproved(input.skill);
        throw new SophonError('BROKER_NOT_RUNNING', 'no broker proxy is running, so a token would be useless — start `sophon serve` (or the desktop app) and mint again');
      }
      const minted = await broker.mint(
        { skill: input.skill, tool: input.tool, ...(input.connections ? { connections: input.connections } : {}), ...(input.ttlSeconds !== undefined ? { ttlSeconds: input.ttlSeconds } : {}), ...(input.agent !== undefined ? { agent: input.agent } : {}) },
        { actor: ctx.actor, via: 'socket' },
      );
      return { ...minted, connections: [...minted.connections] };
    },
    'broker.revoke': async (input, ctx) => {
      if ('all' in input) return { revoked: broker.revokeAll({ actor: ctx.actor }) };
      broker.revoke(input.id, { actor: ctx.actor });
      return { revoked: 1 };
    },
    'broker.status': async () => {
      const { tokens, ...status } = broker.status();
      return { ...status, live: tokens.map(tokenView) };
    },
  };
}
