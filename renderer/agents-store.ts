import type { ApiResult, BrokerStatusView, RequestInput, RequestName, RequestOutput, SkillView } from '../main/api/contract.ts';
import { forWindow } from './humanize.ts';

/**
 * The Agents view's part of the store: skills with what they ask for and what was approved,
 * the broker's live tokens, and what the view does (approve exactly what it showed, withdraw
 * an approval, end one token or all of them). Nothing here reads a credential: skills.list and
 * broker.status carry refs and token ids only, and are not audited.
 */
export interface AgentsState {
  readonly loaded: boolean;
  readonly error?: string;
  readonly skills: readonly SkillView[];
  readonly broker?: BrokerStatusView;
}

export const EMPTY_AGENTS: AgentsState = { loaded: false, skills: [] };

export interface AgentsActions {
  loadAgents(): Promise<void>;
  approveSkill(skill: SkillView): Promise<boolean>;
  revokeSkill(id: string): Promise<void>;
  endToken(id: string): Promise<void>;
  endAllTokens(): Promise<void>;
}

type Call = <N extends RequestName>(name: N, input: RequestInput<N>) => Promise<ApiResult<RequestOutput<N>>>;

interface Deps {
  readonly call: Call;
  readonly set: (update: Partial<AgentsState>) => void;
  readonly get: () => AgentsState;
  readonly notify: (kind: 'error' | 'success', text: string) => void;
}

/** Skills waiting for the person: never approved, or asking for more than was approved. */
export function waiting(skills: readonly SkillView[]): SkillView[] {
  return skills.filter((s) => s.status === 'pending' || s.status === 'changed');
}

export function createAgentsActions({ call, set, get, notify }: Deps): AgentsActions {
  const loadAgents = async () => {
    const [skills, broker] = await Promise.all([call('skills.list', {}), call('broker.status', {})]);
    set({
      loaded: true,
      ...(skills.ok ? { skills: skills.data, error: undefined } : { error: skills.error.message }),
      ...(broker.ok ? { broker: broker.data } : {}),
    });
  };
  return {
    loadAgents,
    async approveSkill(skill) {
      // The hash of exactly what was on screen: a manifest changed meanwhile is refused, not approved.
      const result = await call('skills.approve', { id: skill.id, ...(skill.grantHash ? { grantHash: skill.grantHash } : {}) });
      if (!result.ok) {
        notify('error', forWindow(result.error.message));
        await loadAgents();
        return false;
      }
      set({ skills: get().skills.map((s) => (s.id === skill.id ? result.data : s)) });
      notify('success', `Approved ${skill.name ?? skill.id}.`);
      return true;
    },
    async revokeSkill(id) {
      const result = await call('skills.revoke', { id });
      if (!result.ok) return notify('error', forWindow(result.error.message));
      notify('success', `Withdrew the approval of ${result.data.skill.name ?? id}${result.data.revoked ? ` and ended ${result.data.revoked} live token${result.data.revoked === 1 ? '' : 's'}` : ''}.`);
      await loadAgents();
    },
    async endToken(id) {
      const result = await call('broker.revoke', { id });
      if (!result.ok) return notify('error', forWindow(result.error.message));
      await loadAgents();
    },
    async endAllTokens() {
      const result = await call('broker.revoke', { all: true });
      if (!result.ok) return notify('error', forWindow(result.error.message));
      notify('success', result.data.revoked === 0 ? 'No agent had a live token.' : `Ended ${result.data.revoked} live token${result.data.revoked === 1 ? '' : 's'}. Agents must ask again.`);
      await loadAgents();
    },
  };
}
