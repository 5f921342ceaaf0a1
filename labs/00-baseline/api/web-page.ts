// Serves the built web page from WEB_DIR (gzip-negotiated like every answer). When the page
// has not been built, "/" says so instead of failing.
import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { RequestHandler } from 'express';
import { sendBody } from './send-body.ts';

export function webPage(webDir: string): RequestHandler {
  return async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const file = fileFor(webDir, req.path);
    const body = file ? await readFile(file).catch(() => null) : null;
    if (body && file) return sendBody(req, res, { status: 200, type: extname(file) || 'application/octet-stream', body });
    if (req.path === '/') return sendBody(req, res, { status: 200, type: 'html', body: notBuilt(webDir) });
    next();
  };
}

/** The file under `webDir` that `urlPath` names, or null when it would escape the folder. */
function fileFor(webDir: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const file = resolve(webDir, `.${decoded.endsWith('/') ? `${decoded}index.html` : decoded}`);
  return file.startsWith(webDir + sep) ? file : null;
}

function notBuilt(webDir: string): Buffer {
  return Buffer.from(
    `<!doctype html><meta charset="utf-8"><title>NWS Watermark</title>` +
      `<p>The web page is not built: <code>${escapeHtml(webDir)}</code> has no index.html.</p>` +
      `<p>Build it (see the README), or set WEB_DIR to a folder that holds it. The API itself works: POST /upload.</p>`,
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
