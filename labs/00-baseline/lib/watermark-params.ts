// The watermark parameters a client may send, validated the same way by the API (before
// anything is stored) and by the optimizer (which can be called directly).
import { AppError } from './errors.ts';

export const positions = ['top-left', 'top-right', 'bottom-left', 'bottom-right'] as const;
export type Position = (typeof positions)[number];

export interface WatermarkParams {
  text: string;
  position: Position;
}

export const defaultParams: WatermarkParams = { text: 'NWS Watermark', position: 'bottom-right' };
const maxTextLength = 100; // characters (code points), not bytes
// Whitespace, control and format characters alone (a zero-width space, say) render nothing.
const visible = /[^\p{White_Space}\p{Cc}\p{Cf}]/u;

/** Validates the raw form fields; an absent field takes its default. */
export function parseWatermarkParams(fields: { wm_text?: string; wm_position?: string }): WatermarkParams {
  const text = fields.wm_text ?? defaultParams.text;
  const length = [...text].length;
  if (length < 1 || length > maxTextLength) {
    throw new AppError('WM_TEXT_INVALID', `wm_text must be 1–${maxTextLength} characters (got ${length}); omit it to use "${defaultParams.text}"`);
  }
  if (!visible.test(text)) {
    throw new AppError('WM_TEXT_INVALID', 'wm_text must contain at least one visible character');
  }
  const position = fields.wm_position ?? defaultParams.position;
  if (!isPosition(position)) {
    throw new AppError('WM_POSITION_INVALID', `wm_position must be one of ${positions.join(', ')} (got ${JSON.stringify(position.slice(0, 40))})`);
  }
  return { text, position };
}

function isPosition(value: string): value is Position {
  return (positions as readonly string[]).includes(value);
}
