import { useSophon } from '../store-context.tsx';

/** Says when the vault is weakly protected or something on disk needs attention. */
export function HealthBanner() {
  const health = useSophon((s) => s.health);
  if (!health) return null;
  const weak = health.strength === 'weak';
  const problems = health.permissionProblems.length + health.connectorProblems.length;
  if (!weak && problems === 0) {
    return (
      <p className="vault-line muted" aria-label="Vault health">
        Vault protected by {health.protectorDescription} · {health.records} {health.records === 1 ? 'record' : 'records'}
      </p>
    );
  }
  return (
    <section className="banner banner-warn" aria-labelledby="health-title" data-testid="health-banner">
      <h2 id="health-title" className="banner-title">
        {weak ? 'Your vault is weakly protected' : 'Your vault needs attention'}
      </h2>
      {weak && (
        <p>
          Its key is sealed by {health.protectorDescription}. Anyone who can read your files can read your credentials. Set up a keyring (gnome-keyring or KWallet)
          and start Sophon again, or use a passphrase with <code>sophon serve</code>.
        </p>
      )}
      {health.permissionProblems.length > 0 && (
        <ul>
          {health.permissionProblems.map((p) => (
            <li key={p.path}>
              <code>{p.path}</code> is readable by others (mode {p.mode}, expected {p.expected}) — run <code>chmod {p.expected} {p.path}</code>.
            </li>
          ))}
        </ul>
      )}
      {health.connectorProblems.length > 0 && (
        <ul>
          {health.connectorProblems.map((p) => (
            <li key={p.file}>
              Custom service <code>{p.file}</code> was skipped: {p.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
