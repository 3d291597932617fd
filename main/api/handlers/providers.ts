import { TERMS_NOTICE, type Profile, type SophonCore } from '../../core/index.ts';
import { ProfileView } from '../contract.ts';
import type { Handlers } from '../dispatch.ts';

const FREE = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

/** Core profile → view: a subscription's tokens cost 0 each (the plan is billed instead). */
export function profileView(profile: Profile): ProfileView {
  return ProfileView.parse({ ...profile, ...(profile.billing === 'subscription' ? { cost: FREE } : {}) });
}

/** Model providers: profiles, CLI sign-ins, pasted tokens, the per-agent order, `models status`. */
export function providerHandlers(core: SophonCore): Handlers {
  const providers = core.providers;
  return {
    'models.status': async (input, ctx) => {
      const status = await providers.status({ ...(input.agent !== undefined ? { agent: input.agent } : {}) }, { actor: ctx.actor });
      return {
        providers: status.providers.map((p) => ({ ...p, services: [...p.services], order: [...p.order] })),
        profiles: status.profiles.map(profileView),
        check: { exitCode: status.check.exitCode, problems: [...status.check.problems] },
        notice: status.notice,
      };
    },
    'models.cliStatus': async (_input, ctx) => providers.cliStatus({ actor: ctx.actor }),
    'models.pasteToken': async (input, ctx) => {
      const result = await providers.pasteToken(
        {
          provider: input.provider,
          token: input.secret,
          ...(input.profile !== undefined ? { profile: input.profile } : {}),
          ...(input.expiresInSeconds !== undefined ? { expiresInMs: input.expiresInSeconds * 1000 } : {}),
        },
        { actor: ctx.actor },
      );
      return { profile: profileView(result.profile), warnings: result.warnings, notice: TERMS_NOTICE };
    },
    'models.sync': async (input, ctx) => {
      const result = await providers.sync({ provider: input.provider, ...(input.profile !== undefined ? { profile: input.profile } : {}) }, { actor: ctx.actor });
      return { profile: profileView(result.profile), warnings: result.warnings, notice: TERMS_NOTICE };
    },
    'models.test': async (input, ctx) => {
      const outcome = await providers.test(input.profile, { actor: ctx.actor });
      return { ...outcome, profile: profileView(outcome.profile) };
    },
    'models.resolve': async (input, ctx) => {
      const resolved = await providers.resolve(input.provider, { ...(input.agent !== undefined ? { agent: input.agent } : {}) }, { actor: ctx.actor }, 'resolve');
      return { profile: profileView(resolved.profile), skipped: [...resolved.skipped] };
    },
    'models.orderGet': async (input) => view(await providers.orderGet(input.provider, input.agent)),
    'models.orderSet': async (input, ctx) => {
      const result = await providers.orderSet(input.provider, input.agent, input.profiles, { actor: ctx.actor });
      return { order: view(result.order), warnings: result.warnings };
    },
    'models.orderClear': async (input, ctx) => view(await providers.orderClear(input.provider, input.agent, { actor: ctx.actor })),
  };
}

function view<T extends { explicit: readonly string[]; effective: readonly string[] }>(order: T): T & { explicit: string[]; effective: string[] } {
  return { ...order, explicit: [...order.explicit], effective: [...order.effective] };
}
