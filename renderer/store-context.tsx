import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { SophonActions, SophonState, SophonStore } from './store.ts';

const StoreContext = createContext<SophonStore | undefined>(undefined);

export function StoreProvider({ store, children }: { readonly store: SophonStore; readonly children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

export function useSophon<T>(selector: (state: SophonState & SophonActions) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useSophon outside StoreProvider');
  return useStore(store, selector);
}

export function useActions(): SophonActions {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useActions outside StoreProvider');
  return store.getState();
}
