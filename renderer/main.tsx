import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import { pickBridge } from './bridge.ts';
import { createSophonStore } from './store.ts';
import { StoreProvider } from './store-context.tsx';
import { applyTheme, followSystemTheme } from './theme.ts';

performance.mark('sophon:start');
const bridge = pickBridge();
// The desktop app raises its own OS notification; a dashboard tab does, if the person allowed it.
const store = createSophonStore(bridge, undefined, (skill) => {
  if (bridge.kind !== 'dashboard' || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  const name = skill.name ?? skill.id;
  new Notification(skill.status === 'changed' ? `${name} asks for more access` : `${name} asks for access`, { body: 'Open Sophon’s Agents view to review it.' });
});
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
