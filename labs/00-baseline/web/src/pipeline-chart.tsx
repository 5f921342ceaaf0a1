// One horizontal bar per pipeline step, sized by its share of the longest one (the total),
// from the Server-Timing header of the last POST /upload; the X-Cache header as a badge.
import type { CSSProperties } from 'react';
import type { UploadMeta } from './api.ts';
import { buildPipeline, formatMs } from './pipeline.ts';
import { parseServerTiming } from './server-timing.ts';

export function PipelineChart({ meta }: { meta: UploadMeta }) {
  const rows = buildPipeline(parseServerTiming(meta.serverTiming));
  return (
    <section className="card pipeline-card" aria-label="Pipeline" data-testid="pipeline">
      <header className="card-head">
        <h2>
          Pipeline{' '}
          <span className="muted head-note" data-testid="upload-status">
            HTTP {meta.status}
          </span>
        </h2>
        {meta.cache && (
          <span
            className={`badge ${meta.cache === 'HIT' ? 'is-hit' : 'is-miss'}`}
            data-testid="cache-badge"
            title={
              meta.cache === 'HIT'
                ? 'Served from the Redis cache: the same image and watermark were processed before'
                : 'Not in the cache: the image went through the optimizer'
            }
          >
            Cache {meta.cache}
          </span>
        )}
      </header>
      {meta.serverTiming ? (
        <ol className="bars">
          {rows.map((row) => {
            const skipped = row.durationMs === null;
            return (
              <li
                key={row.name}
                className={`bar-row step-${row.name}${skipped ? ' is-skipped' : ''}`}
                data-testid="timing-bar"
                data-step={row.name}
                data-state={skipped ? 'skipped' : 'measured'}
                data-duration={row.durationMs ?? ''}
                title={[row.label, row.description].filter(Boolean).join(' — ') || undefined}
              >
                <span className="bar-head">
                  <code className="bar-name">{row.name}</code>
                  <span className="bar-label">{row.note ?? row.label}</span>
                  <span className="bar-value" data-testid="timing-bar-value">
                    {skipped ? 'skipped' : formatMs(row.durationMs!)}
                  </span>
                </span>
                <span className="bar-track">
                  {!skipped && (
                    <span
                      className="bar-fill"
                      data-testid="timing-bar-fill"
                      style={{ '--w': `${row.widthPercent}%` } as CSSProperties}
                    />
                  )}
                </span>
              </li>
            );
          })}
        </ol>
      ) : (
        <p className="muted">The answer carried no Server-Timing header.</p>
      )}
      {meta.serverTiming && (
        <details className="pipeline-foot muted">
          <summary>
            Raw <code>Server-Timing</code> header
          </summary>
          <code className="raw-header" data-testid="raw-server-timing">
            {meta.serverTiming}
          </code>
        </details>
      )}
    </section>
  );
}
