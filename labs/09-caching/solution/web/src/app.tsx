// The page: choose an image and a watermark on the left, see the request's pipeline under it,
// and the result (or the queued job) on the right.
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { uploadImage, waitForResult, type Corner, type UploadMeta } from './api.ts';
import { CompareView } from './compare-view.tsx';
import { DropZone } from './drop-zone.tsx';
import { PipelineChart } from './pipeline-chart.tsx';
import { RevalidatePanel } from './revalidate-panel.tsx';
import { EmptyState, ErrorNotice, InfoNotice, Preview } from './status-panels.tsx';
import { useObjectUrl } from './use-object-url.ts';
import { WatermarkFields } from './watermark-fields.tsx';

type Phase =
  | { name: 'idle' }
  | { name: 'uploading' }
  | { name: 'pending'; statusUrl: string; checks: number; queued?: string }
  | { name: 'done' };

/** The processed image: bytes from POST /upload, or a URL once a queued job is done. */
type Result = { blob: Blob } | { url: string };

type Notice = { kind: 'error'; error: Error } | { kind: 'info'; text: string };

export function App() {
  const [file, setFile] = useState<File | null>(null);
  const [text, setText] = useState('© NWS Watermark');
  const [corner, setCorner] = useState<Corner>('bottom-right');
  const [phase, setPhase] = useState<Phase>({ name: 'idle' });
  const [meta, setMeta] = useState<UploadMeta | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const inFlight = useRef<AbortController | null>(null);

  const originalUrl = useObjectUrl(file);
  const resultBlobUrl = useObjectUrl(result && 'blob' in result ? result.blob : null);
  const resultUrl = result && 'url' in result ? result.url : resultBlobUrl;
  const busy = phase.name === 'uploading';

  function cancel() {
    inFlight.current?.abort();
    inFlight.current = null;
  }

  function chooseFile(next: File) {
    cancel();
    setFile(next);
    setResult(null);
    setMeta(null);
    setNotice(null);
    setPhase({ name: 'idle' });
  }

  // A file dropped anywhere on the page is taken, as if dropped on the zone; without this
  // the browser would navigate away to display it.
  const onWindowDrop = useRef<(event: DragEvent) => void>(() => {});
  onWindowDrop.current = (event) => {
    event.preventDefault();
    const dropped = event.dataTransfer?.files[0];
    if (dropped && !busy) chooseFile(dropped);
  };
  useEffect(() => {
    const over = (event: DragEvent) => event.preventDefault();
    const drop = (event: DragEvent) => {
      if (!event.defaultPrevented) onWindowDrop.current(event); // the zone handles its own drops
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
      inFlight.current?.abort();
    };
  }, []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!file || busy) return;
    cancel();
    const controller = new AbortController();
    inFlight.current = controller;
    setNotice(null);
    setPhase({ name: 'uploading' });
    try {
      const outcome = await uploadImage(file, text, corner, controller.signal);
      setMeta(outcome.meta);
      if (outcome.kind === 'done') {
        setResult({ blob: outcome.image });
        setPhase({ name: 'done' });
        return;
      }
      setResult(null);
      setPhase({ name: 'pending', statusUrl: outcome.statusUrl, checks: 0, queued: outcome.queued });
      const url = await waitForResult(outcome.statusUrl, controller.signal, (checks) =>
        setPhase({ name: 'pending', statusUrl: outcome.statusUrl, checks, queued: outcome.queued }),
      );
      setResult({ url });
      setPhase({ name: 'done' });
    } catch (caught) {
      if (controller.signal.aborted) return; // replaced by a newer request, or stopped
      // Nothing on screen may belong to an earlier request once this one failed.
      setResult(null);
      setMeta(null);
      setNotice({ kind: 'error', error: caught instanceof Error ? caught : new Error(String(caught)) });
      setPhase({ name: 'idle' });
    } finally {
      if (inFlight.current === controller) inFlight.current = null;
    }
  }

  function stopWaiting() {
    cancel();
    setPhase({ name: 'idle' });
    setNotice({
      kind: 'info',
      text: 'Stopped waiting. The job stays queued: once the worker is done, the same upload comes back from the cache at once.',
    });
  }

  let output: ReactNode;
  // While a new upload runs, the previous result stays in view rather than flashing away.
  if (file && originalUrl && resultUrl && (phase.name === 'done' || phase.name === 'uploading')) {
    output = (
      <CompareView
        key={resultUrl}
        originalUrl={originalUrl}
        resultUrl={resultUrl}
        originalBytes={file.size}
        resultBytes={result && 'blob' in result ? result.blob.size : null}
        queued={result !== null && 'url' in result}
      />
    );
  } else if (originalUrl && phase.name === 'pending') {
    output = (
      <Preview
        key={originalUrl}
        originalUrl={originalUrl}
        overlay="pending"
        statusUrl={phase.statusUrl}
        queued={phase.queued}
        checks={phase.checks}
        onStop={stopWaiting}
      />
    );
  } else if (originalUrl) {
    output = <Preview key={originalUrl} originalUrl={originalUrl} overlay={busy ? 'uploading' : 'ready'} />;
  } else {
    output = <EmptyState />;
  }

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            N
          </span>
          <span className="brand-name">NWS Watermark</span>
        </div>
        <span className="topbar-note muted">Upload an image, stamp it, and see where the time goes.</span>
      </header>

      <main className="layout">
        <aside className="sidebar">
          <form className="card controls" onSubmit={submit} aria-label="Watermark an image">
            <DropZone file={file} previewUrl={originalUrl} disabled={busy} onFile={chooseFile} />
            <WatermarkFields text={text} corner={corner} disabled={busy} onText={setText} onCorner={setCorner} />
            <button className="button-primary" type="submit" disabled={!file || busy} data-testid="submit">
              {busy ? (
                <>
                  <span className="spinner is-small" aria-hidden="true" /> Processing…
                </>
              ) : (
                'Apply watermark'
              )}
            </button>
          </form>
          {meta && <PipelineChart meta={meta} />}
        </aside>

        <div className="output">
          {notice?.kind === 'error' && <ErrorNotice error={notice.error} onDismiss={() => setNotice(null)} />}
          {notice?.kind === 'info' && <InfoNotice text={notice.text} onDismiss={() => setNotice(null)} />}
          {output}
          {phase.name === 'done' && meta?.key && <RevalidatePanel key={meta.key} imageKey={meta.key} />}
        </div>
      </main>
    </div>
  );
}
