import type { VaultHealthView } from '../../main/api/contract.ts';
import { Icon } from '../icons.tsx';
import { useSophon } from '../store-context.tsx';

/** "Protected by your passphrase": what guards the vault, in words; the technical line under Details. */
export function VaultStatus() {
  const health = useSophon((s) => s.health);
  if (!health) return <span className="vault-status" />;
  const weak = health.strength === 'weak';
  const problems = health.permissionProblems.length + health.connectorProblems.length;
  const tone = weak || problems > 0 ? 'warn' : 'ok';
  return (
    <details className={`vault-status tone-${tone}`} data-testid="vault-status">
      <summary>
        <Icon name={tone === 'ok' ? 'shieldCheck' : 'alert'} />
        <span>{guardedBy(health)}</span>
      </summary>
      <div className="popover" role="group" aria-label="Vault details">
        {health.permissionProblems.map((p) => (
          <p key={p.path} className="warn-text">
            <code>{p.path}</code> can be read by others (mode {p.mode}, should be {p.expected}).
          </p>
        ))}
        {health.connectorProblems.map((p) => (
          <p key={p.file} className="warn-text">
            The custom service <code>{p.file}</code> was skipped: {p.message}
          </p>
        ))}
        <dl className="facts small">
          <dt>Key</dt>
          <dd>{health.protectorDescription}</dd>
          <dt>Vault</dt>
          <dd>
            <code>{health.path}</code>
          </dd>
          <dt>Kept by</dt>
          <dd>
            {health.owner.name} (process {health.owner.pid})
          </dd>
          <dt>Holds</dt>
          <dd>{health.records === 1 ? 'one item' : `${health.records.toLocaleString()} items`}</dd>
        </dl>
      </div>
    </details>
  );
}

function guardedBy(health: VaultHealthView): string {
  if (health.strength === 'weak') return 'Weakly protected';
  if (health.permissionProblems.length + health.connectorProblems.length > 0) return 'Needs attention';
  switch (health.protector) {
    case 'passphrase':
      return 'Protected by your passphrase';
    case 'keyring':
    case 'safe-storage':
      return 'Protected by the system keychain';
    default:
      return `Protected by ${health.protectorDescription}`;
  }
}

/** A weakly sealed vault is said on the page itself, not only behind the header's Details. */
export function WeakVaultBanner() {
  const health = useSophon((s) => s.health);
  if (!health || health.strength !== 'weak') return null;
  return (
    <section className="banner banner-warn" aria-labelledby="health-title" data-testid="health-banner">
      <h2 id="health-title" className="banner-title">
        <Icon name="alert" /> Your vault is weakly protected
      </h2>
      <p>
        Its key is sealed by {health.protectorDescription}: anyone who can read your files can read your credentials. Set up a keyring (GNOME Keyring or KWallet) and
        start Sophon again, or use a passphrase.
      </p>
    </section>
  );
}
