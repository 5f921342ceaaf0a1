// Drag & drop or pick one image. The zone is the file input's <label>, so a click, Enter or
// Space opens the picker natively; any file is accepted and left for the API to judge
// (it answers 415 to what is not an image, and the page shows that message).
import { useState, type DragEvent } from 'react';
import { formatBytes } from './format.ts';

interface DropZoneProps {
  file: File | null;
  previewUrl: string | null;
  disabled: boolean;
  onFile: (file: File) => void;
}

function hasFiles(event: DragEvent): boolean {
  return event.dataTransfer.types.includes('Files');
}

export function DropZone({ file, previewUrl, disabled, onFile }: DropZoneProps) {
  const [over, setOver] = useState(false);
  const [brokenPreview, setBrokenPreview] = useState<string | null>(null);

  const onDragOver = (event: DragEvent<HTMLLabelElement>) => {
    if (!hasFiles(event) || disabled) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    setOver(true);
  };
  const onDrop = (event: DragEvent<HTMLLabelElement>) => {
    event.preventDefault();
    setOver(false);
    const dropped = event.dataTransfer.files[0];
    if (dropped && !disabled) onFile(dropped);
  };

  return (
    <label
      className={`drop-zone${over ? ' is-over' : ''}${file ? ' has-file' : ''}`}
      data-testid="drop-zone"
      onDragEnter={onDragOver}
      onDragOver={onDragOver}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <input
        className="visually-hidden"
        type="file"
        accept="image/*"
        disabled={disabled}
        data-testid="file-input"
        onChange={(event) => {
          const picked = event.currentTarget.files?.[0];
          if (picked) onFile(picked);
          event.currentTarget.value = ''; // picking the same file again still fires change
        }}
      />
      {file && previewUrl ? (
        <span className="drop-zone-file">
          {brokenPreview === previewUrl ? (
            <span className="drop-zone-thumb is-file" aria-hidden="true">
              <svg viewBox="0 0 24 24">
                <path d="M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8zM14 3v5h5" />
              </svg>
            </span>
          ) : (
            <img
              className="drop-zone-thumb"
              src={previewUrl}
              alt=""
              data-testid="original-thumb"
              onError={() => setBrokenPreview(previewUrl)}
            />
          )}
          <span className="drop-zone-meta">
            <span className="drop-zone-name" title={file.name}>
              {file.name}
            </span>
            <span className="muted">
              {formatBytes(file.size)} · drop another or <u>browse</u>
            </span>
          </span>
        </span>
      ) : (
        <span className="drop-zone-empty">
          <svg className="drop-zone-icon" viewBox="0 0 24 24" aria-hidden="true">
            <path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" />
          </svg>
          <strong>Drop an image here</strong>
          <span className="muted">
            or <u>browse</u> — JPEG, PNG, WebP…
          </span>
        </span>
      )}
    </label>
  );
}
