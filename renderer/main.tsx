import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import { pickBridge } from './bridge.ts';
import { createSophonStore } from './store.ts';
import { StoreProvider } from './store-context.tsx';
import { applyTheme, followSystemTheme } from './theme.ts';

performance.mark('sophon:start');
const store = createSophonStore(pickBridge());
applyTheme(store.getState().theme);
followSystemTheme(() => store.getState().theme);
store.subscribe((state, previous) => {
  if (state.theme !== previous.theme) applyTheme(state.theme);
});
void store.getState().init();
createRoot(document.getElementById('root') as HTMLElement).render(
  <StoreProvider store={store}>
    <App />
  </StoreProvider>,
);
