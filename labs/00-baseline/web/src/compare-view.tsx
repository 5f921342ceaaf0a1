// The original and the watermarked result, either stacked under a before/after divider or
// side by side. The divider is a native range input laid over the whole picture: dragging
// anywhere moves it, and the keyboard (arrows, Page Up/Down, Home/End) works for free.
// Both images are drawn with `object-fit: contain` in one box whose ratio is the result's;
// the optimizer keeps the aspect ratio, so the two stay aligned pixel for pixel.
import { useState, type CSSProperties } from 'react';
import { formatBytes } from './format.ts';

interface Size {
  width: number;
  height: number;
}

interface CompareViewProps {
  originalUrl: string;
  resultUrl: string;
  originalBytes: number;
  /** Null when the result came by URL (after a queued job) and its size is unknown. */
  resultBytes: number | null;
  /** The result was made by the retry worker after a 202. */
  queued: boolean;
}

type Mode = 'slider' | 'side';

function describe(size: Size | null, bytes: number | null): string {
  const parts = [size ? `${size.width}×${size.height}` : null, bytes === null ? null : formatBytes(bytes)];
  return parts.filter(Boolean).join(' · ');
}

function naturalSize(img: HTMLImageElement): Size {
  return { width: img.naturalWidth, height: img.naturalHeight };
}

export function CompareView({ originalUrl, resultUrl, originalBytes, resultBytes, queued }: CompareViewProps) {
  const [mode, setMode] = useState<Mode>('slider');
  const [position, setPosition] = useState(50);
  const [originalSize, setOriginalSize] = useState<Size | null>(null);
  const [resultSize, setResultSize] = useState<Size | null>(null);

  const ratioSource = resultSize ?? originalSize;
  const ratio = ratioSource ? ratioSource.width / ratioSource.height : 4 / 3;
  const stageStyle = { '--pos': position, '--ratio': ratio } as CSSProperties;

  const original = (
    <img
      className="compare-img"
      src={originalUrl}
      alt="Original"
      data-testid="original-image"
      onLoad={(event) => setOriginalSize(naturalSize(event.currentTarget))}
    />
  );
  const result = (
    <img
      className="compare-img compare-after"
      src={resultUrl}
      alt="Watermarked result"
      data-testid="result-image"
      onLoad={(event) => setResultSize(naturalSize(event.currentTarget))}
    />
  );

  return (
    <section className="card compare-card" aria-label="Result">
      <header className="card-head">
        <h2>Result</h2>
        <div className="segmented" role="group" aria-label="View">
          <button type="button" aria-pressed={mode === 'slider'} onClick={() => setMode('slider')}>
            Slider
          </button>
          <button type="button" aria-pressed={mode === 'side'} onClick={() => setMode('side')} data-testid="view-side">
            Side by side
          </button>
        </div>
      </header>

      {mode === 'slider' ? (
        <div className="compare-wrap" style={stageStyle}>
          <div className="compare-legend muted" aria-hidden="true">
            <span>◂ Original</span>
            <span>Watermarked ▸</span>
          </div>
          <div className="compare-stage" data-testid="compare-stage">
          {original}
          {result}
          <span className="compare-divider" aria-hidden="true">
            <span className="compare-handle">
              <svg viewBox="0 0 24 24">
                <path d="m9 6-6 6 6 6M15 6l6 6-6 6" />
              </svg>
            </span>
          </span>
          <input
            className="compare-range"
            type="range"
            min={0}
            max={100}
            step={1}
            value={position}
            aria-label="Divider between original and watermarked image"
            aria-valuetext={`${position}% original, ${100 - position}% watermarked`}
            data-testid="compare-slider"
            onChange={(event) => setPosition(Number(event.currentTarget.value))}
          />
          </div>
        </div>
      ) : (
        <div className="compare-side" style={stageStyle}>
          <figure>
            <div className="compare-frame">{original}</div>
            <figcaption>Original</figcaption>
          </figure>
          <figure>
            <div className="compare-frame">{result}</div>
            <figcaption>Watermarked</figcaption>
          </figure>
        </div>
      )}

      <footer className="compare-foot muted">
        <span data-testid="original-info">Original {describe(originalSize, originalBytes)}</span>
        <span aria-hidden="true">→</span>
        <span data-testid="result-info">Result {describe(resultSize, resultBytes)}</span>
        {queued && <span className="chip">from the retry queue</span>}
        <a className="link" href={resultUrl} download="watermarked.jpg">
          Download
        </a>
      </footer>
    </section>
  );
}
