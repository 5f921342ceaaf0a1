// The web page's browser tests share this: Debian's Chromium (headless, through
// playwright-core) with a fresh profile, and the gestures a user makes on the page. Screenshots
// go to $WEB_E2E_SCREENSHOTS (default: <tmpdir>/nws-web-e2e).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page, type Response } from 'playwright-core';
import { expect } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
// Without the networking flags Debian's Chromium keeps calling home, which floods a closed network.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const SHOTS = process.env.WEB_E2E_SCREENSHOTS ?? join(tmpdir(), 'nws-web-e2e');
// Every wait is bounded by what the step needs, so a broken page fails in seconds.
export const UI_TIMEOUT_MS = 10_000;

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a profile of its own; without Chromium, an error whose one line says how to install it. */
export async function openBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    const missing = new Error(`No Chromium at ${CHROMIUM}: the web test needs it; install it with "apt-get install chromium".`);
    missing.stack = missing.message; // one line is the whole story
    throw missing;
  }
  const profile = await mkdtemp(join(tmpdir(), 'nws-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
  await mkdir(SHOTS, { recursive: true });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Drops a file on the drop zone the way a browser does: dragenter, dragover, drop with a DataTransfer. */
export async function dropFile(page: Page, name: string, type: string, bytes: Buffer): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ name, type, base64 }) => {
      const binary = atob(base64);
      const data = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) data[i] = binary.charCodeAt(i);
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], name, { type }));
      return transfer;
    },
    { name, type, base64: bytes.toString('base64') },
  );
  const zone = page.getByTestId('drop-zone');
  for (const event of ['dragenter', 'dragover', 'drop']) await zone.dispatchEvent(event, { dataTransfer });
}

export interface UploadInput {
  image: Buffer;
  filename?: string;
  type?: string;
  text: string;
  corner?: 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';
  via?: 'drop' | 'picker';
}

/** Chooses the file and the watermark, presses the button, returns the answer to POST /upload. */
export async function uploadThroughPage(page: Page, input: UploadInput): Promise<Response> {
  const { image, filename = 'photo.jpg', type = 'image/jpeg', text, corner = 'bottom-right', via = 'drop' } = input;
  if (via === 'drop') await dropFile(page, filename, type, image);
  else await page.getByTestId('file-input').setInputFiles({ name: filename, mimeType: type, buffer: image });
  await page.getByTestId('wm-text').fill(text);
  await page.getByTestId(`corner-${corner}`).click(); // the dot; its radio is visually hidden
  expect(await page.getByTestId(`corner-${corner}`).locator('input').isChecked()).toBe(true);
  const answer = page.waitForResponse((res) => new URL(res.url()).pathname.endsWith('/upload'), {
    timeout: UI_TIMEOUT_MS,
  });
  await page.getByTestId('submit').click();
  return answer;
}

/** Waits until the <img> has decoded and returns its natural size. */
export async function loadedSize(page: Page, testId: string): Promise<[number, number]> {
  const img = page.getByTestId(testId);
  await expect
    .poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0), { timeout: UI_TIMEOUT_MS })
    .toBe(true);
  return img.evaluate((el: HTMLImageElement) => [el.naturalWidth, el.naturalHeight] as [number, number]);
}

/** The trimmed text of the element with this test id, once it exists. */
export async function textOf(page: Page, testId: string): Promise<string> {
  return (await page.getByTestId(testId).textContent({ timeout: UI_TIMEOUT_MS }))?.trim() ?? '';
}
