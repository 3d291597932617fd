import type { ApiResult, AuditEntryView, RequestInput, RequestName, RequestOutput } from '../main/api/contract.ts';

/** The Audit view's part of the store: one page of entries for the filters chosen. */
export interface AuditFilter {
  readonly connection?: string;
  readonly skill?: string;
  readonly outcome?: 'ok' | 'failed';
}

export interface AuditState {
  readonly filter: AuditFilter;
  readonly entries: readonly AuditEntryView[];
  readonly total: number;
  /** False: `total` is a lower bound (counting a filter over a huge trail stopped early). */
  readonly complete?: boolean;
  readonly offset: number;
  readonly loading: boolean;
  readonly error?: string;
}

/** Entries read at a time: enough for the groups of an hour or two of agent calls. */
export const AUDIT_PAGE = 200;

export const EMPTY_AUDIT: AuditState = { filter: {}, entries: [], total: 0, offset: 0, loading: false };

export interface AuditActions {
  loadAudit(offset: number, filter?: AuditFilter): Promise<void>;
}

type Call = <N extends RequestName>(name: N, input: RequestInput<N>) => Promise<ApiResult<RequestOutput<N>>>;

export function createAuditActions({ call, get, set }: { readonly call: Call; readonly get: () => AuditState; readonly set: (audit: AuditState) => void }): AuditActions {
  return {
    async loadAudit(offset, filter = get().filter) {
      set({ ...get(), filter, loading: true });
      const result = await call('audit.list', { limit: AUDIT_PAGE, offset, ...filter });
      if (get().filter !== filter) return; // a newer filter was chosen meanwhile
      if (result.ok) set({ filter, entries: result.data.entries, total: result.data.total, complete: result.data.complete !== false, offset, loading: false });
      else set({ ...get(), loading: false, error: result.error.message });
    },
  };
}
