// The watermark's text (with a live counter against the API's 100-character limit) and its
// corner, drawn as a tiny frame with four native radio buttons.
import { CORNERS, MAX_TEXT_LENGTH, type Corner } from './api.ts';

const CORNER_LABELS: Record<Corner, string> = {
  'top-left': 'Top left',
  'top-right': 'Top right',
  'bottom-left': 'Bottom left',
  'bottom-right': 'Bottom right',
};

interface WatermarkFieldsProps {
  text: string;
  corner: Corner;
  disabled: boolean;
  onText: (text: string) => void;
  onCorner: (corner: Corner) => void;
}

export function WatermarkFields({ text, corner, disabled, onText, onCorner }: WatermarkFieldsProps) {
  const nearLimit = text.length >= MAX_TEXT_LENGTH - 10;
  return (
    <>
      <div className="field">
        <div className="field-head">
          <label htmlFor="wm-text">Watermark text</label>
          <span
            className={`counter${nearLimit ? ' is-near' : ''}`}
            data-testid="wm-text-counter"
            aria-live="polite"
          >
            {text.length}/{MAX_TEXT_LENGTH}
          </span>
        </div>
        <input
          id="wm-text"
          className="text-input"
          type="text"
          value={text}
          maxLength={MAX_TEXT_LENGTH}
          required
          disabled={disabled}
          placeholder="© Your name"
          autoComplete="off"
          spellCheck={false}
          data-testid="wm-text"
          onChange={(event) => onText(event.currentTarget.value)}
        />
      </div>

      <fieldset className="field corner-field" disabled={disabled}>
        <legend>Corner</legend>
        <div className="corner-picker">
          <div className="corner-frame" aria-hidden="true" />
          {CORNERS.map((value) => (
            <label
              key={value}
              className={`corner corner-${value}`}
              title={CORNER_LABELS[value]}
              data-testid={`corner-${value}`}
            >
              <input
                className="visually-hidden"
                type="radio"
                name="wm-position"
                value={value}
                checked={corner === value}
                onChange={() => onCorner(value)}
              />
              <span className="corner-dot" aria-hidden="true" />
              <span className="visually-hidden">{CORNER_LABELS[value]}</span>
            </label>
          ))}
        </div>
        <span className="corner-name muted">{CORNER_LABELS[corner]}</span>
      </fieldset>
    </>
  );
}
