// The states around the result: nothing chosen yet, the original waiting (or queued) under an
// overlay, and a readable error.
import { useEffect, useState, type CSSProperties } from 'react';
import { ApiError } from './api.ts';

/** `/status/8db17e3f4db8…acf44fc4`: a 64-digit key is noise on screen; the title keeps it whole. */
function shortUrl(url: string): string {
  return url.replace(/[0-9a-f]{24,}/i, (key) => `${key.slice(0, 8)}…${key.slice(-6)}`);
}

export function EmptyState() {
  return (
    <section className="card empty-state" data-testid="empty-state">
      <svg viewBox="0 0 48 48" aria-hidden="true">
        <rect x="6" y="10" width="36" height="28" rx="4" />
        <circle cx="17" cy="20" r="3.5" />
        <path d="m6 33 10-9 8 7 6-5 12 10" />
      </svg>
      <h2>Drop an image to start</h2>
      <p className="muted">
        The API resizes it to fit 1920×1080, stamps your text in the corner you pick, and tells how long each step
        took.
      </p>
    </section>
  );
}

interface PreviewProps {
  originalUrl: string;
  overlay: 'ready' | 'uploading' | 'pending';
  statusUrl?: string;
  /** Why the API queued the job (its 202's `queued`): 'breaker' when the optimizer was not even called. */
  queued?: string;
  checks?: number;
  onStop?: () => void;
}

/** The original alone, before there is a result. */
export function Preview({ originalUrl, overlay, statusUrl, queued, checks = 0, onStop }: PreviewProps) {
  // A file the browser cannot draw (maybe not an image at all): say so instead of a broken icon.
  const [broken, setBroken] = useState(false);
  const [ratio, setRatio] = useState(4 / 3);
  return (
    <section className="card compare-card" aria-label="Original">
      <header className="card-head">
        <h2>{overlay === 'pending' ? 'Queued' : 'Original'}</h2>
      </header>
      <div
        className={`preview-stage is-${overlay}${broken ? ' is-broken' : ''}`}
        style={{ '--ratio': ratio } as CSSProperties}
      >
        {broken ? (
          <p className="preview-broken">No preview: the browser cannot display this file.</p>
        ) : (
          <img
            className="compare-img"
            src={originalUrl}
            alt="Original"
            data-testid="original-image"
            onLoad={(event) => setRatio(event.currentTarget.naturalWidth / event.currentTarget.naturalHeight)}
            onError={() => setBroken(true)}
          />
        )}
        {overlay === 'uploading' && (
          <div className="preview-overlay" role="status">
            <span className="spinner" aria-hidden="true" />
            <span>Uploading and processing…</span>
          </div>
        )}
        {overlay === 'pending' && (
          <div className="preview-overlay" role="status" data-testid="pending">
            <span className="spinner" aria-hidden="true" />
            <strong>{queued === 'breaker' ? 'Queued at once' : 'Queued for retry'}</strong>
            {queued === 'breaker' && (
              <span className="pending-reason" data-testid="pending-reason">
                The API did not even try the optimizer: it failed too often just now, so its circuit breaker is open and
                answers straight away.
              </span>
            )}
            <span>
              The optimizer could not take the job, so the API queued it (HTTP 202). The retry worker will process it;
              this page checks{' '}
              <code title={statusUrl} data-testid="pending-status-url" data-url={statusUrl}>
                {statusUrl && shortUrl(statusUrl)}
              </code>{' '}
              every second.
            </span>
            <span className="pending-checks" data-testid="pending-checks">
              {checks === 0 ? 'First check in a second…' : `Still pending after ${checks} check${checks === 1 ? '' : 's'}`}
            </span>
            <button type="button" className="button-ghost" onClick={onStop}>
              Stop waiting
            </button>
          </div>
        )}
      </div>
      {overlay === 'ready' && <footer className="compare-foot muted">Press “Apply watermark” to send it.</footer>}
    </section>
  );
}

/** The API's messages are lower-case clauses ("the file is not…"); on screen they read as a sentence. */
function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

function titleOf(status: number | null): string {
  if (status === null) return 'Something went wrong';
  if (status >= 500) return 'The service failed';
  if (status === 202) return 'The job could not be followed';
  if (status === 429) return 'Too many uploads: slow down';
  return 'The upload was refused';
}

/** "You can upload again in 3 s", counting down to "You can upload again now". */
function RetryIn({ seconds }: { seconds: number }) {
  const [left, setLeft] = useState(seconds);
  useEffect(() => {
    setLeft(seconds);
    const started = Date.now();
    const timer = setInterval(() => {
      const remaining = Math.max(0, seconds - Math.floor((Date.now() - started) / 1000));
      setLeft(remaining);
      if (remaining === 0) clearInterval(timer);
    }, 250);
    return () => clearInterval(timer);
  }, [seconds]);
  return (
    <p className="notice-retry" data-testid="error-retry" data-seconds={seconds}>
      {left > 0 ? (
        <>
          You can upload again in <strong>{left} s</strong>.
        </>
      ) : (
        'You can upload again now.'
      )}
    </p>
  );
}

export function ErrorNotice({ error, onDismiss }: { error: Error; onDismiss: () => void }) {
  const api = error instanceof ApiError ? error : null;
  const status = api?.status ?? null;
  const title = titleOf(status);
  return (
    <div className="notice is-error" role="alert" data-testid="error">
      <svg viewBox="0 0 24 24" aria-hidden="true">
        <circle cx="12" cy="12" r="9" />
        <path d="M12 7.5v5.5M12 16.5v.01" />
      </svg>
      <div>
        <strong>{title}</strong>
        <p data-testid="error-message">{sentence(error.message)}</p>
        {api?.retryAfterSeconds != null && <RetryIn seconds={api.retryAfterSeconds} />}
        {(api?.code || status !== null) && (
          <p className="muted notice-code">
            {status !== null && <>HTTP {status}</>}
            {api?.code && (
              <>
                {' · '}
                <code data-testid="error-code">{api.code}</code>
              </>
            )}
          </p>
        )}
      </div>
      <button type="button" className="notice-close" aria-label="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}

export function InfoNotice({ text, onDismiss }: { text: string; onDismiss: () => void }) {
  return (
    <div className="notice is-info" role="status" data-testid="info">
      <svg viewBox="0 0 24 24" aria-hidden="true">
        <circle cx="12" cy="12" r="9" />
        <path d="M12 11v5.5M12 7.5v.01" />
      </svg>
      <div>
        <p>{text}</p>
      </div>
      <button type="button" className="notice-close" aria-label="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}
