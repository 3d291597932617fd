import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { countdown } from '../format.ts';
import { forWindow } from '../humanize.ts';
import { useActions, useSophon } from '../store-context.tsx';
import type { SignInView } from '../store.ts';

const FINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

/** The sign-in in progress: the browser wait, or the device code with its countdown; then the outcome. */
export function SignInPanel() {
  const signin = useSophon((s) => s.signin);
  const catalog = useSophon((s) => s.catalog);
  const { cancelSignIn, dismissSignIn } = useActions();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const attempt = signin?.attemptId;
  useEffect(() => headingRef.current?.focus(), [attempt]);
  if (!signin) return null;

  const name = catalog.find((s) => s.id === signin.service)?.name ?? signin.service;
  const done = FINAL.has(signin.status);
  return (
    <section className={`signin-panel signin-${signin.status}`} aria-labelledby="signin-title" data-testid="signin-panel" data-status={signin.status}>
      <h2 id="signin-title" ref={headingRef} tabIndex={-1}>
        {signin.reconnectOf ? `Reconnect ${name}` : `Sign in to ${name}`}
      </h2>
      {!done && signin.kind === 'device' && <DeviceCode signin={signin} />}
      {!done && signin.kind === 'browser' && <BrowserWait signin={signin} />}
      <p className={`signin-status status-${signin.status}`} role="status" aria-live="polite" data-testid="signin-status">
        {statusText(signin, name)}
      </p>
      <div className="signin-actions">
        {done ? (
          <button type="button" className="primary" onClick={dismissSignIn}>
            {signin.status === 'completed' ? 'Done' : 'Close'}
          </button>
        ) : (
          <button type="button" onClick={() => void cancelSignIn()}>
            Cancel sign-in
          </button>
        )}
      </div>
    </section>
  );
}

function statusText(signin: SignInView, name: string): string {
  switch (signin.status) {
    case 'completed':
      return `Signed in to ${name}${signin.connection?.account ? ` as ${signin.connection.account}` : ''}. The connection is active.`;
    case 'expired':
      return `The sign-in expired before it was finished. ${forWindow(signin.message)}`;
    case 'cancelled':
      return 'The sign-in was cancelled.';
    case 'failed':
      return `The sign-in failed: ${forWindow(signin.message)}`;
    case 'slow_down':
    case 'polling':
    case 'waiting':
      return signin.message;
  }
}

function useCountdown(expiresAt: number | undefined): string | undefined {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (expiresAt === undefined) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [expiresAt]);
  return expiresAt === undefined ? undefined : countdown(expiresAt - now);
}

function DeviceCode({ signin }: { readonly signin: SignInView }) {
  const left = useCountdown(signin.expiresAt);
  const [copied, setCopied] = useState<string | undefined>();
  const link = signin.verificationUriComplete ?? signin.verificationUri;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(signin.userCode ?? '');
      setCopied('Code copied.');
    } catch {
      setCopied('Could not copy — select the code and copy it yourself.');
    }
  };
  return (
    <div className="device">
      <p>
        Open{' '}
        <a href={link} target="_blank" rel="noopener noreferrer" data-testid="verification-link">
          {signin.verificationUri}
        </a>{' '}
        in your browser and enter this code:
      </p>
      <div className="user-code-row">
        <output className="user-code" aria-label="Your sign-in code" data-testid="user-code">
          {signin.userCode}
        </output>
        <button type="button" onClick={() => void copy()}>
          Copy code
        </button>
      </div>
      <p className="muted small" aria-live="polite">
        {copied}
      </p>
      {left !== undefined && (
        <p className="countdown">
          Code expires in <time aria-label={`${left} minutes`}>{left}</time>
        </p>
      )}
    </div>
  );
}

function BrowserWait({ signin }: { readonly signin: SignInView }) {
  const { completePasted } = useActions();
  const left = useCountdown(signin.expiresAt);
  const id = useId();
  const [pasted, setPasted] = useState('');
  const [error, setError] = useState<string | undefined>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!pasted.trim()) {
      setError('Paste the address your browser ended on.');
      return;
    }
    const problem = await completePasted(pasted.trim());
    setError(problem?.message);
  };
  return (
    <div className="browser-wait">
      <p>
        <span className="spinner" aria-hidden="true" /> Your browser is open at the sign-in page. Finish there; this window updates by itself.
      </p>
      {signin.authorizationUrl && (
        <p>
          Browser did not open?{' '}
          <a href={signin.authorizationUrl} target="_blank" rel="noopener noreferrer">
            Open the sign-in page
          </a>
        </p>
      )}
      {left !== undefined && <p className="muted small">This attempt expires in {left}.</p>}
      {signin.redirect === 'paste' && (
        <form noValidate onSubmit={(e) => void submit(e)} className="paste-form">
          <label htmlFor={`${id}-url`}>Address your browser ended on</label>
          <input id={`${id}-url`} value={pasted} autoComplete="off" spellCheck={false} onChange={(e) => setPasted(e.target.value)} />
          {error && (
            <p className="field-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit">Finish sign-in</button>
        </form>
      )}
    </div>
  );
}
