import { useEffect, useRef } from 'react';
import type { View, Theme } from './store.ts';
import { useActions, useSophon } from './store-context.tsx';
import { ConnectionsView } from './components/connections-view.tsx';
import { AddConnection } from './components/add-connection.tsx';
import { AuditView } from './components/audit-view.tsx';
import { ModelsView } from './components/models-view.tsx';
import { AgentsView } from './components/agents-view.tsx';
import { VaultStatus, WeakVaultBanner } from './components/health-banner.tsx';
import { SignInPanel } from './components/signin-panel.tsx';
import { Notices } from './components/notices.tsx';
import { Icon, type IconName } from './icons.tsx';
import { waiting } from './agents-store.ts';

const VIEWS: ReadonlyArray<{ readonly view: View; readonly label: string; readonly icon: IconName }> = [
  { view: 'connections', label: 'Connections', icon: 'plug' },
  { view: 'models', label: 'Models', icon: 'chip' },
  { view: 'agents', label: 'Agents', icon: 'bot' },
  { view: 'audit', label: 'Audit', icon: 'list' },
];

export function App() {
  const view = useSophon((s) => s.view);
  const loaded = useSophon((s) => s.loaded);
  const loadError = useSophon((s) => s.loadError);
  const link = useSophon((s) => s.link);
  const bridgeKind = useSophon((s) => s.bridgeKind);
  const signin = useSophon((s) => s.signin);
  const waitingCount = useSophon((s) => waiting(s.agents.skills).length);
  const { setView, init } = useActions();
  const mainRef = useRef<HTMLElement>(null);

  useEffect(() => {
    // A new view starts at its top, with the keyboard at its start.
    window.scrollTo(0, 0);
    mainRef.current?.focus({ preventScroll: true });
  }, [view]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-row">
          <h1 className="brand">
            <span className="brand-mark" aria-hidden="true">
              <Icon name="shield" size={18} />
            </span>
            Sophon
          </h1>
          <VaultStatus />
          <div className="topbar-end">
            <button type="button" className="primary add-button" aria-label="Add connection" aria-current={view === 'add' ? 'page' : undefined} onClick={() => setView('add')}>
              <Icon name="plus" />
              <span>Add connection</span>
            </button>
            <ThemePicker />
          </div>
        </div>
        <nav aria-label="Views" className="tabs-nav">
          <ul className="tabs">
            {VIEWS.map((v) => (
              <li key={v.view}>
                <button type="button" className="tab" aria-current={view === v.view ? 'page' : undefined} onClick={() => setView(v.view)}>
                  <Icon name={v.icon} />
                  <span>{v.label}</span>
                  {v.view === 'agents' && waitingCount > 0 && (
                    <span className="tab-count" aria-label={`${waitingCount} waiting for approval`}>
                      {waitingCount}
                    </span>
                  )}
                </button>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      {bridgeKind === 'dashboard' && link !== 'open' && (
        <p className="banner banner-warn" role="status">
          {link === 'connecting' ? 'Connecting to Sophon…' : 'Lost the connection to Sophon — reconnecting…'}
        </p>
      )}
      <WeakVaultBanner />
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
        ) : view === 'agents' ? (
          <AgentsView />
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
      <span className="visually-hidden">Theme</span>
      <select value={theme} onChange={(e) => void setTheme(e.target.value as Theme)}>
        <option value="system">Auto</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}
