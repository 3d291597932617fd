import { useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import type { AuthMethodView, ServiceSummary } from '../../main/api/contract.ts';
import { CATEGORY_TEXT, METHOD_TAG } from '../format.ts';
import { searchCatalog } from '../catalog-search.ts';
import { Icon } from '../icons.tsx';
import { useActions, useSophon } from '../store-context.tsx';
import { ServiceLogo } from './service-logo.tsx';
import { ServicePage } from './service-page.tsx';

/** Add a connection: pick a service from the searchable catalog, then one of its ways to sign in on its page. */
export function AddConnection() {
  const catalog = useSophon((s) => s.catalog);
  const chosen = useSophon((s) => s.addService);
  const { chooseService } = useActions();
  const service = catalog.find((s) => s.id === chosen);
  if (service) return <ServicePage service={service} onBack={() => chooseService(undefined)} />;
  return <CatalogPicker catalog={catalog} onPick={(id) => chooseService(id)} />;
}

const CATEGORY_ORDER = Object.keys(CATEGORY_TEXT);

function CatalogPicker({ catalog, onPick }: { readonly catalog: readonly ServiceSummary[]; readonly onPick: (id: string) => void }) {
  const [query, setQuery] = useState('');
  const [category, setCategory] = useState<string | undefined>();
  const deferred = useDeferredValue(query);
  const searchRef = useRef<HTMLInputElement>(null);
  useEffect(() => searchRef.current?.focus(), []);
  const categories = useMemo(() => CATEGORY_ORDER.filter((c) => catalog.some((s) => s.category === c)).concat([...new Set(catalog.map((s) => s.category))].filter((c) => !CATEGORY_ORDER.includes(c))), [catalog]);
  const matches = useMemo(() => searchCatalog(catalog, deferred).filter((s) => !category || s.category === category), [catalog, deferred, category]);
  const searching = deferred.trim() !== '';
  // Browsing: grouped by category, calm headings; searching: one list, best match first.
  const sections = searching || category ? [{ id: 'results', title: undefined, services: matches }] : categories.map((c) => ({ id: c, title: CATEGORY_TEXT[c] ?? c, services: matches.filter((s) => s.category === c) }));

  return (
    <section aria-labelledby="catalog-title" className="catalog">
      <div className="page-head">
        <h2 id="catalog-title">Add a connection</h2>
        <p className="muted">Pick a service. Sophon keeps it signed in, encrypted on this machine, and lends it to agents you approve.</p>
      </div>
      <div className="search-field">
        <Icon name="search" />
        <label className="visually-hidden" htmlFor="catalog-search">
          Search services
        </label>
        <input id="catalog-search" ref={searchRef} type="search" value={query} placeholder="Search — mail, GitHub, Claude…" onChange={(e) => setQuery(e.target.value)} aria-describedby="catalog-count" autoComplete="off" />
      </div>
      <div className="chips" role="group" aria-label="Category">
        <button type="button" className="chip" aria-pressed={category === undefined} onClick={() => setCategory(undefined)}>
          All
        </button>
        {categories.map((c) => (
          <button key={c} type="button" className="chip" aria-pressed={category === c} onClick={() => setCategory(category === c ? undefined : c)}>
            {CATEGORY_TEXT[c] ?? c}
          </button>
        ))}
      </div>
      <p id="catalog-count" className="muted small" role="status">
        {matches.length === catalog.length ? `${catalog.length} services` : matches.length === 0 ? 'No service matches — try another word, or add your own as a custom connector.' : `${matches.length} of ${catalog.length} services`}
      </p>
      {sections
        .filter((section) => section.services.length > 0)
        .map((section) => (
          <div key={section.id} className="catalog-section">
            {section.title && <h3 className="section-title">{section.title}</h3>}
            <ul className="catalog-list" data-testid="catalog-list">
              {section.services.map((s) => (
                <li key={s.id}>
                  <CatalogCard service={s} onPick={onPick} />
                </li>
              ))}
            </ul>
          </div>
        ))}
    </section>
  );
}

function CatalogCard({ service: s, onPick }: { readonly service: ServiceSummary; readonly onPick: (id: string) => void }) {
  const tags = [...new Set(s.auth.map((m) => METHOD_TAG[m.type]))];
  return (
    <button type="button" className="catalog-card" data-service={s.id} onClick={() => onPick(s.id)}>
      <ServiceLogo icon={s.icon} name={s.name} size={36} />
      <span className="catalog-text">
        <span className="catalog-name">
          {s.name}
          {s.custom && <span className="tag tag-quiet">Custom</span>}
        </span>
        <span className="catalog-summary">{summaryOf(s)}</span>
        <span className="tags" aria-label={`Sign in with: ${tags.join(', ')}`}>
          {tags.map((t) => (
            <span key={t} className="tag">
              {t}
            </span>
          ))}
        </span>
      </span>
      <Icon name="chevronRight" className="chevron" />
    </button>
  );
}

/** The catalog's short line; for an entry without one, a line built from what it is. */
export function summaryOf(s: ServiceSummary): string {
  if (s.summary) return s.summary;
  const category = CATEGORY_TEXT[s.category];
  return s.custom ? `Your own connector${category && s.category !== 'other' ? ` · ${category}` : ''}` : category && s.category !== 'other' ? `${category} for your agents` : `Its API, for your agents`;
}

export function methodName(method: AuthMethodView): string {
  switch (method.type) {
    case 'oauth2':
      return 'Sign in with the browser';
    case 'device':
      return 'Sign in with a code';
    case 'api_key':
      return method.label ?? 'API key';
    case 'bearer':
      return method.label ?? 'Token';
    case 'basic':
      return `${method.usernameLabel ?? 'Username'} and ${(method.passwordLabel ?? 'password').toLowerCase()}`;
    case 'smtp_imap':
      return 'Mail server';
    case 'cli_reader':
      return `Use the ${method.cli ?? 'CLI'} sign-in`;
  }
}
