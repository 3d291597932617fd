import { useEffect, useRef } from 'react';
import type { View, Theme } from './store.ts';
import { useActions, useSophon } from './store-context.tsx';
import { ConnectionsView } from './components/connections-view.tsx';
import { AddConnection } from './components/add-connection.tsx';
import { AuditView } from './components/audit-view.tsx';
import { ModelsView } from './components/models-view.tsx';
import { HealthBanner } from './components/health-banner.tsx';
import { SignInPanel } from './components/signin-panel.tsx';
import { Notices } from './components/notices.tsx';

const VIEWS: ReadonlyArray<{ readonly view: View; readonly label: string }> = [
  { view: 'connections', label: 'Connections' },
  { view: 'models', label: 'Models' },
  { view: 'add', label: 'Add connection' },
  { view: 'audit', label: 'Audit trail' },
];

export function App() {
  const view = useSophon((s) => s.view);
  const loaded = useSophon((s) => s.loaded);
  const loadError = useSophon((s) => s.loadError);
  const link = useSophon((s) => s.link);
  const bridgeKind = useSophon((s) => s.bridgeKind);
  const signin = useSophon((s) => s.signin);
  const { setView, init } = useActions();
  const mainRef = useRef<HTMLElement>(null);

  useEffect(() => {
    mainRef.current?.focus({ preventScroll: true });
  }, [view]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <h1 className="brand">Sophon</h1>
        <nav aria-label="Views">
          <ul className="tabs">
            {VIEWS.map((v) => (
              <li key={v.view}>
                <button type="button" className="tab" aria-current={view === v.view ? 'page' : undefined} onClick={() => setView(v.view)}>
                  {v.label}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <ThemePicker />
      </header>
      {bridgeKind === 'dashboard' && link !== 'open' && (
        <p className="banner banner-warn" role="status">
          {link === 'connecting' ? 'Connecting to sophon serve…' : 'Lost the connection to sophon serve — reconnecting…'}
        </p>
      )}
      <HealthBanner />
      <Notices />
      <main id="main" ref={mainRef} tabIndex={-1} className="main">
        {signin && <SignInPanel />}
        {!loaded ? (
          <p className="muted" role="status">
            Loading…
          </p>
        ) : loadError ? (
          <div className="banner banner-error" role="alert">
            <p>Sophon could not load your connections: {loadError}</p>
            <button type="button" onClick={() => void init()}>
              Try again
            </button>
          </div>
        ) : view === 'connections' ? (
          <ConnectionsView />
        ) : view === 'models' ? (
          <ModelsView />
        ) : view === 'add' ? (
          <AddConnection />
        ) : (
          <AuditView />
        )}
      </main>
    </div>
  );
}

function ThemePicker() {
  const theme = useSophon((s) => s.theme);
  const { setTheme } = useActions();
  return (
    <label className="theme-picker">
      <span>Theme</span>
      <select value={theme} onChange={(e) => void setTheme(e.target.value as Theme)}>
        <option value="system">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}
