// Parses the `Server-Timing` response header (https://w3c.github.io/server-timing/):
//   redis;dur=1.2, minio;dur=14;desc="store original", gzip;desc="skipped"
// A metric is a token name followed by `;param=value` pairs whose value is a token or a
// quoted string (which may hold commas and semicolons). Like browsers, the parser is
// lenient: a malformed entry is dropped or its bad parameter ignored, never an exception,
// because a timing header must not break the page that draws it.

export interface TimingMetric {
  name: string;
  /** `dur` in milliseconds; null when absent or not a number. */
  durationMs: number | null;
  /** `desc`; null when absent. */
  description: string | null;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Splits on `separator` outside quoted strings, keeping the quotes and escapes. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted && char === '\\' && i + 1 < text.length) {
      current += char + text[++i];
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

/** `"a \"b\""` → `a "b"`; a bare token is returned as is. */
function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  const inner = value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value.slice(1);
  return inner.replace(/\\(.)/g, '$1');
}

/** Every metric of the header, in the order sent (several headers joined by commas work too). */
export function parseServerTiming(header: string | null | undefined): TimingMetric[] {
  if (!header) return [];
  const metrics: TimingMetric[] = [];
  for (const entry of splitOutsideQuotes(header, ',')) {
    const [rawName = '', ...rawParams] = splitOutsideQuotes(entry, ';');
    const name = rawName.trim();
    if (!TOKEN.test(name)) continue;
    const metric: TimingMetric = { name, durationMs: null, description: null };
    let sawDur = false;
    let sawDesc = false;
    for (const rawParam of rawParams) {
      const eq = rawParam.indexOf('=');
      const key = (eq === -1 ? rawParam : rawParam.slice(0, eq)).trim().toLowerCase();
      const value = eq === -1 ? '' : unquote(rawParam.slice(eq + 1).trim());
      // As in browsers, the first occurrence of a parameter wins.
      if (key === 'dur' && !sawDur) {
        sawDur = true;
        const ms = Number(value);
        metric.durationMs = value !== '' && Number.isFinite(ms) && ms >= 0 ? ms : null;
      } else if (key === 'desc' && !sawDesc) {
        sawDesc = true;
        metric.description = value;
      }
    }
    metrics.push(metric);
  }
  return metrics;
}
