// Revalidation made visible: asks the API whether the result on screen changed, sending back
// the ETag of its last answer. The first answer is the image (200, its size, its ETag); each
// later one is a 304 with no body for as long as the image is the same bytes.
import { useState } from 'react';
import { revalidateImage, type Revalidation } from './api.ts';
import { formatBytes } from './format.ts';

function describe({ status, bytes, etag }: Revalidation): string {
  if (status === 304) return '304 Not Modified · no body: the copy you hold is current';
  return `${status} · ${formatBytes(bytes)} · ETag ${etag ?? 'none'}`;
}

export function RevalidatePanel({ imageKey }: { imageKey: string }) {
  const [etag, setEtag] = useState<string | null>(null);
  const [answer, setAnswer] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function check() {
    setBusy(true);
    try {
      const result = await revalidateImage(imageKey, etag);
      if (result.etag) setEtag(result.etag);
      setAnswer(describe(result));
    } catch (error) {
      setAnswer(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card revalidate" aria-label="Ask whether the result changed">
      <button type="button" className="button-ghost" onClick={check} disabled={busy} data-testid="revalidate">
        {etag ? 'Check again with its ETag' : 'Fetch it from GET /image'}
      </button>
      {answer && (
        <p className="muted" data-testid="revalidate-answer" aria-live="polite">
          {answer}
        </p>
      )}
    </section>
  );
}
