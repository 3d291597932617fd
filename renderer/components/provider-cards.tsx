import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { CliStatusView } from '../../main/api/contract.ts';
import { CLI_STATE_TEXT, relative, shortDate } from '../format.ts';
import { withCode } from '../with-code.ts';
import { StateBadge, profileLook } from './state-badge.tsx';
import { forWindow } from '../humanize.ts';
import { Icon } from '../icons.tsx';
import { useActions, useSophon } from '../store-context.tsx';
import { labelProblem, secretProblem } from '../validation.ts';

/**
 * The model providers' cards (issue 5): Claude through Claude Code, a ChatGPT plan through
 * Codex, GitHub Copilot. Each says how to sign in, shows the CLI sign-in it can link, and
 * takes a pasted token. No token ever comes back to the window: the CLI status carries the
 * plan and expiry only, and a pasted field is emptied once it is sent.
 */

const TERMS =
  "Each provider's terms decide whether a subscription may be used programmatically — confirm that your plan permits it (Anthropic restricts Claude subscription credentials to its own apps).";

interface Way {
  readonly id: string;
  readonly label: string;
  readonly render: () => ReactNode;
}

/** The ways to add a sign-in for each subscription provider, shortest first. */
function waysFor(service: string): { readonly termsOwner?: string; readonly ways: readonly Way[] } | undefined {
  switch (service) {
    case 'anthropic-subscription':
      return {
        ways: [
          { id: 'cli', label: 'Link Claude Code', render: () => <CliSignIn cli="claude-code" provider="anthropic" linkLabel="Link Claude Code sign-in" /> },
          {
            id: 'paste',
            label: 'Paste a token',
            render: () => (
              <PasteToken
                provider="anthropic"
                title="Paste a setup-token"
                fieldLabel="Token from claude setup-token"
                what="setup-token"
                hint={
                  <>
                    In a terminal, <code>claude setup-token</code> prints a token that starts with <code>sk-ant-oat01-</code>. It lasts about a year.
                  </>
                }
              />
            ),
          },
        ],
      };
    case 'openai-codex':
      return {
        termsOwner: 'OpenAI',
        ways: [
          {
            id: 'browser',
            label: 'Sign in with ChatGPT',
            render: () => (
              <SignInStart
                service="openai-codex"
                method="oauth2"
                title="Sign in with ChatGPT"
                button="Sign in with ChatGPT in your browser"
                hint="OpenAI’s page opens in your browser. If this window does not update by itself afterwards, paste the address the browser ended on into the box that appears."
              />
            ),
          },
          { id: 'cli', label: 'Link Codex', render: () => <CliSignIn cli="codex" provider="openai-codex" linkLabel="Link Codex sign-in" /> },
        ],
      };
    case 'github-copilot':
      return {
        termsOwner: 'GitHub',
        ways: [
          {
            id: 'device',
            label: 'Use a code',
            render: () => <SignInStart service="github-copilot" method="device" title="Sign in with a code" button="Sign in to GitHub with a code" hint="Sophon shows a short code; enter it on GitHub’s page in any browser, on any device." />,
          },
          {
            id: 'paste',
            label: 'Paste a token',
            render: () => (
              <PasteToken provider="github-copilot" title="Paste a GitHub token" fieldLabel="GitHub token" what="GitHub token" hint="A token of an account with a Copilot seat. Sophon checks it with GitHub before keeping it." />
            ),
          },
          { id: 'cli', label: 'Import gh', render: () => <CliSignIn cli="gh" provider="github-copilot" linkLabel="Import gh sign-in" /> },
        ],
      };
    default:
      return undefined;
  }
}

/** "Add a sign-in": one choice among the provider's ways, and that way's short form. */
export function ProviderSignIns({ service, heading = 'Add a sign-in', focusOnOpen = false, onCancel }: { readonly service: string; readonly heading?: string; readonly focusOnOpen?: boolean; readonly onCancel?: () => void }) {
  const spec = waysFor(service);
  const [chosen, setChosen] = useState(0);
  const titleId = useId();
  const group = useId();
  const choice = useRef<HTMLFieldSetElement>(null);
  useModelsLoaded();
  // Opened by a button: the keyboard follows into the form, on the chosen way (arrows pick another).
  useEffect(() => {
    if (focusOnOpen) choice.current?.querySelector<HTMLInputElement>('input:checked')?.focus();
  }, [focusOnOpen]);
  if (!spec) return null;
  const way = spec.ways[Math.min(chosen, spec.ways.length - 1)] as Way;
  return (
    <section className="card provider-card" aria-labelledby={titleId} data-testid={`provider-${service}`}>
      {onCancel ? (
        <div className="title-row">
          <h3 id={titleId}>{heading}</h3>
          <button type="button" className="quiet-button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      ) : (
        <h3 id={titleId}>{heading}</h3>
      )}
      <fieldset className="segmented" ref={choice}>
        <legend className="visually-hidden">Sign in with</legend>
        {spec.ways.map((w, i) => (
          <label key={w.id} className="segment">
            <input type="radio" name={group} checked={w === way} onChange={() => setChosen(i)} />
            <span>{w.label}</span>
          </label>
        ))}
      </fieldset>
      <div className="way" key={way.id}>
        {way.render()}
      </div>
      <TermsReminder owner={spec.termsOwner} />
    </section>
  );
}

/** Loads profiles and CLI sign-ins the first time a card or the Models view shows. */
export function useModelsLoaded(): void {
  const { loadModels } = useActions();
  const needed = useSophon((s) => !s.models.loaded && !s.models.loading);
  useEffect(() => {
    if (needed) void loadModels();
  }, [needed, loadModels]);
}

/** The reminder `sophon models status` prints too; for Claude, the core's own wording. */
function TermsReminder({ owner }: { readonly owner: string | undefined }) {
  const notice = useSophon((s) => s.models.status?.notice);
  const text = owner ? `${owner}’s terms decide whether your plan may be used programmatically — confirm that it permits this use.` : (notice ?? TERMS);
  return (
    <p className="terms-note small" role="note">
      <Icon name="alert" /> <span>{withCode(text)}</span>
    </p>
  );
}

/** Starts a browser or device sign-in; its progress shows in the sign-in panel at the top. */
function SignInStart({ service, method, title, button, hint }: { readonly service: string; readonly method: 'oauth2' | 'device'; readonly title: string; readonly button: string; readonly hint: string }) {
  const { startSignIn } = useActions();
  const busy = useSophon((s) => s.signin !== undefined);
  const error = useSophon((s) => (s.signinErrorFor === service ? s.signinError : undefined));
  const id = useId();
  const [profile, setProfile] = useState('');
  const problem = labelProblem(profile, []);
  return (
    <div className="provider-step">
      <h4 id={`${id}-title`} className="visually-hidden">
        {title}
      </h4>
      <p className="muted small">{hint}</p>
      <ProfileField id={`${id}-profile`} value={profile} problem={problem} onChange={setProfile} />
      <button
        type="button"
        className="primary"
        disabled={busy || problem !== undefined}
        onClick={() => void startSignIn({ service, method, ...(method === 'oauth2' ? { redirect: 'paste' as const } : {}), ...(profile ? { label: profile } : {}) })}
      >
        {button}
      </button>
      {error && (
        <p className="field-error" role="alert">
          {forWindow(error)}
        </p>
      )}
    </div>
  );
}

function ProfileField({ id, value, problem, onChange }: { readonly id: string; readonly value: string; readonly problem: string | undefined; readonly onChange: (value: string) => void }) {
  return (
    <div className="field">
      <label htmlFor={id}>Profile name (optional)</label>
      <input id={id} value={value} maxLength={64} placeholder="default" aria-invalid={problem !== undefined} aria-describedby={problem ? `${id}-error` : undefined} onChange={(e) => onChange(e.target.value)} />
      {problem && (
        <p id={`${id}-error`} className="field-error">
          {problem}
        </p>
      )}
    </div>
  );
}

/** Whether a CLI is installed and signed in (plan and expiry, never its token), and the button that links it. */
function CliSignIn({ cli, provider, linkLabel }: { readonly cli: CliStatusView['cli']; readonly provider: string; readonly linkLabel: string }) {
  const status = useSophon((s) => s.models.cli.find((c) => c.cli === cli));
  const loaded = useSophon((s) => s.models.loaded);
  const cliError = useSophon((s) => s.models.cliError);
  const linked = useSophon((s) => (status?.profile ? s.models.status?.profiles.find((p) => p.id === status.profile && p.connectionId !== undefined) : undefined));
  const { linkCli } = useActions();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [justLinked, setJustLinked] = useState(false);
  const linkedRef = useRef<HTMLParagraphElement>(null);
  const id = useId();
  // The button goes away once linked: keep the keyboard where it was, on what replaced it.
  useEffect(() => {
    if (justLinked && linked) linkedRef.current?.focus();
  }, [justLinked, linked]);

  const link = async () => {
    setBusy(true);
    setError(undefined);
    const result = await linkCli(provider);
    setBusy(false);
    if (!result.ok) setError(result.error.message);
    else setJustLinked(true);
  };

  if (!status) {
    return (
      <div className="provider-step">
        <p className="muted" role="status">
          {!loaded ? 'Checking the CLI sign-ins on this machine…' : `Could not check the CLI sign-in${cliError ? `: ${cliError}` : '.'}`}
        </p>
      </div>
    );
  }
  const now = Date.now();
  return (
    <div className="provider-step cli-status" aria-labelledby={`${id}-title`} role="group" data-testid={`cli-${cli}`} data-state={status.state}>
      <h4 id={`${id}-title`}>{status.name} on this machine</h4>
      <dl className="facts">
        <dt>Installed</dt>
        <dd>{status.installed ? 'Yes' : 'Not found on PATH'}</dd>
        <dt>Sign-in</dt>
        <dd>
          <StateBadge {...profileLook(status.state)} word={CLI_STATE_TEXT[status.state]} />
        </dd>
        {status.plan && (
          <>
            <dt>Plan</dt>
            <dd data-testid="cli-plan">{status.plan}</dd>
          </>
        )}
        {status.account && (
          <>
            <dt>Account</dt>
            <dd>{status.account}</dd>
          </>
        )}
        {status.expiresAt !== undefined && (
          <>
            <dt>Token</dt>
            <dd>
              {status.expiresAt > now ? 'valid until' : 'expired'} <time dateTime={new Date(status.expiresAt).toISOString()}>{shortDate(new Date(status.expiresAt).toISOString())}</time> ({relative(status.expiresAt, now)}) — renewed by {status.name}
            </dd>
          </>
        )}
        {status.location && (
          <>
            <dt>Read from</dt>
            <dd>
              <code>{status.location}</code>
            </dd>
          </>
        )}
      </dl>
      {!status.signedIn || status.state === 'expired' || status.state === 'error' ? (
        <p className="small">{withCode(sentence(status.message))}</p>
      ) : null}
      {linked ? (
        <p className="small" data-testid={`cli-${cli}-linked`} ref={linkedRef} tabIndex={-1}>
          Linked as profile <strong>{linked.id}</strong> — still read in place and renewed by {status.name}.
        </p>
      ) : status.signedIn ? (
        <button type="button" disabled={busy} onClick={() => void link()}>
          {busy ? 'Linking…' : linkLabel}
        </button>
      ) : null}
      {error && (
        <p className="field-error" role="alert">
          {forWindow(error)}
        </p>
      )}
    </div>
  );
}

/** A hidden field for a token (models.pasteToken). The value is sent once and the field emptied, success or not. */
function PasteToken({ provider, title, fieldLabel, what, hint }: { readonly provider: string; readonly title: string; readonly fieldLabel: string; readonly what: string; readonly hint: ReactNode }) {
  const { pasteModelToken } = useActions();
  const id = useId();
  const [secret, setSecret] = useState('');
  const [profile, setProfile] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<string | undefined>();
  const secretError = touched ? secretProblem(secret, what) : undefined;
  const profileError = labelProblem(profile, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    setServerError(undefined);
    if (secretProblem(secret, what) || profileError) return;
    const value = secret.trim();
    setSecret('');
    setTouched(false);
    setBusy(true);
    const result = await pasteModelToken({ provider, secret: value, ...(profile ? { profile } : {}) });
    setBusy(false);
    if (!result.ok) setServerError(result.error.message);
    else setProfile('');
  };

  return (
    <form className="provider-step" noValidate onSubmit={(e) => void submit(e)} aria-labelledby={`${id}-title`}>
      <h4 id={`${id}-title`} className="visually-hidden">
        {title}
      </h4>
      <p className="muted small">{hint}</p>
      <ProfileField id={`${id}-profile`} value={profile} problem={profileError} onChange={setProfile} />
      <div className="field">
        <label htmlFor={`${id}-secret`}>{fieldLabel}</label>
        <input
          id={`${id}-secret`}
          type="password"
          value={secret}
          autoComplete="off"
          spellCheck={false}
          aria-invalid={secretError !== undefined}
          aria-describedby={secretError ? `${id}-secret-error` : undefined}
          onChange={(e) => setSecret(e.target.value)}
        />
        {secretError && (
          <p id={`${id}-secret-error`} className="field-error">
            {secretError}
          </p>
        )}
      </div>
      {serverError && (
        <p className="field-error" role="alert">
          {forWindow(serverError)}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {busy ? 'Checking…' : `Save ${what}`}
      </button>
    </form>
  );
}

/** The core's messages are phrased to fit mid-sentence in the CLI (and may start with a program's name): only end them. */
function sentence(message: string): string {
  return /[.!?]$/.test(message) ? message : `${message}.`;
}
