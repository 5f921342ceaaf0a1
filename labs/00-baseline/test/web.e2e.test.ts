// The web page, end to end: the tree's page built with Vite, served by the tree's API, driven
// in a real headless Chromium (Debian's, through playwright-core). Screenshots of each state
// land in $WEB_E2E_SCREENSHOTS (default: <tmpdir>/nws-web-e2e), and one named
// `failed-<test>.png` whenever a test fails.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page, type Response } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { notAnImage, photoJpeg } from '../../../shared/fixtures/images.ts';
import { buildWeb } from '../../../shared/harness/build-web.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { serverTiming } from '../../../shared/harness/upload.ts';

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
const SHOTS = process.env.WEB_E2E_SCREENSHOTS ?? join(tmpdir(), 'nws-web-e2e');
// Every wait is bounded by what the step needs, so a broken page fails in seconds.
const UI_TIMEOUT_MS = 10_000;

let svc: RunningService;
let context: BrowserContext;
let profile: string | undefined;
let page: Page;
// Set when the machine lacks Chromium: every test then fails with it (a failed beforeAll
// would only mark them skipped, and a skipped criterion reads like a passed one).
let missingBrowser: Error | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    missingBrowser = new Error(`No Chromium at ${CHROMIUM}: the web test needs it; install it with "apt-get install chromium".`);
    missingBrowser.stack = missingBrowser.message; // one line is the whole story
    return;
  }
  const tree = inject('tree');
  const webDir = await buildWeb(tree);
  // A short retry delay, so the queued-job test sees the worker come round quickly (from lab 06
  // on the delay is a backoff: RETRY_MAX_DELAY_MS caps it; earlier labs ignore the setting).
  svc = await startService({ tree, stack: inject('stack'), webDir, env: { RETRY_DELAY_MS: '300', RETRY_MAX_DELAY_MS: '600' } });
  profile = await mkdtemp(join(tmpdir(), 'nws-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
  await mkdir(SHOTS, { recursive: true });
});

afterAll(async () => {
  await context?.close();
  await svc?.stopAll();
  if (profile) await rm(profile, { recursive: true, force: true });
});

beforeEach(async () => {
  if (missingBrowser) throw missingBrowser;
  page = await context.newPage();
  await page.goto(`${svc.apiUrl}/`);
});

afterEach(async ({ task }) => {
  if (task.result?.state === 'fail' && page) {
    await page.screenshot({ path: join(SHOTS, `failed-${task.name.replace(/\W+/g, '-').slice(0, 60)}.png`) }).catch(() => {});
  }
  await page?.close();
});

/** Drops a file on the drop zone the way a browser does: dragenter, dragover, drop with a DataTransfer. */
async function dropFile(name: string, type: string, bytes: Buffer): Promise<void> {
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

interface UploadInput {
  image: Buffer;
  filename?: string;
  type?: string;
  text: string;
  corner?: 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';
  via?: 'drop' | 'picker';
}

/** Chooses the file and the watermark, presses the button, returns the answer to POST /upload. */
async function uploadThroughPage(input: UploadInput): Promise<Response> {
  const { image, filename = 'photo.jpg', type = 'image/jpeg', text, corner = 'bottom-right', via = 'drop' } = input;
  if (via === 'drop') await dropFile(filename, type, image);
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
async function loadedSize(testId: string): Promise<[number, number]> {
  const img = page.getByTestId(testId);
  await expect
    .poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0), { timeout: UI_TIMEOUT_MS })
    .toBe(true);
  return img.evaluate((el: HTMLImageElement) => [el.naturalWidth, el.naturalHeight] as [number, number]);
}

async function text(testId: string): Promise<string> {
  return (await page.getByTestId(testId).textContent({ timeout: UI_TIMEOUT_MS }))?.trim() ?? '';
}

describe('web page', () => {
  it('shows the watermarked result beside the original after an image is dropped on the page', async () => {
    await page.getByTestId('empty-state').waitFor({ timeout: UI_TIMEOUT_MS });
    await page.screenshot({ path: join(SHOTS, 'empty.png') });
    const answer = await uploadThroughPage({ image: await photoJpeg(1600, 1200), text: 'Dropped in e2e', corner: 'top-left' });
    expect(answer.status(), await answer.text().catch(() => '')).toBe(200);
    expect(await text('wm-text-counter')).toBe('14/100');

    // Resized to fit 1920×1080 with its ratio kept, next to the untouched original.
    expect(await loadedSize('result-image')).toEqual([1440, 1080]);
    expect(await loadedSize('original-image')).toEqual([1600, 1200]);
    const [resultBox, originalBox] = await Promise.all([
      page.getByTestId('result-image').boundingBox(),
      page.getByTestId('original-image').boundingBox(),
    ]);
    expect(resultBox, 'the result and the original are not drawn in the same box').toEqual(originalBox);
    expect(await text('result-info')).toMatch(/^Result 1440×1080 · [\d.]+ [KM]?B$/);
    await page.screenshot({ path: join(SHOTS, 'result.png') });

    await page.getByTestId('view-side').click();
    expect(await loadedSize('result-image')).toEqual([1440, 1080]);
    await page.screenshot({ path: join(SHOTS, 'side-by-side.png') });
  });

  it('moves the before/after divider by dragging and with the keyboard', async () => {
    await uploadThroughPage({ image: await photoJpeg(800, 600), text: 'Slider' });
    await loadedSize('result-image');
    const slider = page.getByTestId('compare-slider');
    expect(await slider.inputValue()).toBe('50');

    const box = (await page.getByTestId('compare-stage').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    expect(Number(await slider.inputValue())).toBeGreaterThanOrEqual(20);
    expect(Number(await slider.inputValue())).toBeLessThanOrEqual(30);

    await slider.focus();
    await page.keyboard.press('End');
    expect(await slider.inputValue()).toBe('100');
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowLeft');
    expect(await slider.inputValue()).toBe('95');
    // The divider follows the thumb: from thumb/2 at 0 to width - thumb/2 at 100 (thumb = 40 px).
    const divider = (await page.locator('.compare-divider').boundingBox())!;
    const expectedX = 20 + (box.width - 40) * 0.95;
    expect(Math.abs(divider.x + divider.width / 2 - box.x - expectedX)).toBeLessThanOrEqual(1.5);
  });

  it('draws one bar per Server-Timing step, as long as its duration, with the ms figure printed', async () => {
    const answer = await uploadThroughPage({ image: await photoJpeg(1200, 900), text: 'Timing bars' });
    expect(answer.status()).toBe(200);
    const header = answer.headers()['server-timing'] ?? '';
    const steps = serverTiming(header);
    expect([...steps.keys()], `Server-Timing: ${header}`).toEqual(
      expect.arrayContaining(['redis', 'minio', 'optimizer', 'gzip', 'total']),
    );
    await loadedSize('result-image');

    const rows = page.getByTestId('timing-bar');
    const drawn = await rows.evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.step));
    expect(drawn.toSorted(), 'one bar per step, and no other').toEqual([...steps.keys()].toSorted());

    const total = steps.get('total')!;
    const trackWidth = (await page.locator('[data-step="total"] .bar-track').boundingBox())!.width;
    for (const [name, ms] of steps) {
      const row = page.locator(`[data-testid="timing-bar"][data-step="${name}"]`);
      const skipped = (await row.getAttribute('data-state')) === 'skipped';
      const value = (await row.getByTestId('timing-bar-value').textContent())!;
      if (skipped) {
        expect(value, `${name} is drawn as skipped but the header says ${ms} ms`).toBe('skipped');
        expect(ms, `${name} is drawn as skipped but the header says ${ms} ms`).toBe(0);
        continue;
      }
      expect(value, `${name}'s printed duration`).toMatch(/^\d+(\.\d+)? m?s$/);
      expect(Number(await row.getAttribute('data-duration'))).toBeCloseTo(ms, 3);
      // Width proportional to the duration (1 px of rounding, and the 3 px a sliver is given).
      const width = (await row.getByTestId('timing-bar-fill').boundingBox())!.width;
      const expected = (ms / total) * trackWidth;
      expect(Math.abs(width - Math.max(expected, 3)), `${name}: ${width} px for ${ms} of ${total} ms`).toBeLessThanOrEqual(1.5);
    }
    await page.screenshot({ path: join(SHOTS, 'timing.png') });
  });

  it('shows a MISS cache badge on the first upload and a HIT badge when the same image and watermark are sent again', async () => {
    const image = await photoJpeg(1000, 750);
    const first = await uploadThroughPage({ image, text: 'Cache badge', corner: 'top-right' });
    expect(first.headers()['x-cache']).toBe('MISS');
    expect(await text('cache-badge')).toBe('Cache MISS');

    const again = page.waitForResponse((res) => new URL(res.url()).pathname.endsWith('/upload'));
    await page.getByTestId('submit').click();
    expect((await again).headers()['x-cache']).toBe('HIT');
    await expect.poll(() => text('cache-badge'), { timeout: UI_TIMEOUT_MS }).toBe('Cache HIT');
    expect(await loadedSize('result-image')).toEqual([1000, 750]);
    await page.screenshot({ path: join(SHOTS, 'cache-hit.png') });
  });

  it("shows the API's error message when the file is not an image", async () => {
    const answer = await uploadThroughPage({
      image: await notAnImage(),
      filename: 'list.png',
      type: 'image/png',
      text: 'Not an image',
      via: 'picker',
    });
    expect(answer.status()).toBe(415);
    const { error } = (await answer.json()) as { error: { code: string; message: string } };
    // Shown as a sentence: the API's message, capitalised and ending with a full stop.
    expect((await text('error-message')).toLowerCase().replace(/\.$/, '')).toBe(error.message.toLowerCase().replace(/\.$/, ''));
    expect(await text('error-code')).toBe(error.code);
    expect(await page.getByTestId('error').getAttribute('role')).toBe('alert');
    await page.screenshot({ path: join(SHOTS, 'error.png') });
  });

  it('shows the pending state while the optimizer is down, polls statusUrl every second, then shows the result', async () => {
    const checks: number[] = [];
    page.on('request', (req) => {
      if (new URL(req.url()).pathname.startsWith('/status/')) checks.push(Date.now());
    });
    await svc.stop('optimizer', 'SIGKILL');
    const statusUrl = await (async () => {
      const answer = await uploadThroughPage({ image: await photoJpeg(900, 600), text: 'Queued', via: 'picker' });
      expect(answer.status()).toBe(202);
      const body = (await answer.json()) as { statusUrl: string };
      await page.getByTestId('pending').waitFor({ timeout: UI_TIMEOUT_MS });
      await expect.poll(() => text('pending-checks'), { timeout: 5_000 }).toBe('Still pending after 2 checks');
      expect(await page.getByTestId('pending-status-url').getAttribute('data-url')).toBe(body.statusUrl);
      await page.screenshot({ path: join(SHOTS, 'pending.png') });
      return body.statusUrl;
    })().finally(() => svc.start('optimizer'));

    expect(await loadedSize('result-image')).toEqual([900, 600]);
    expect(await page.getByTestId('pending').count()).toBe(0);
    expect(await page.getByTestId('result-image').getAttribute('src')).toBe(`/image/${statusUrl.split('/').pop()}`);
    const gaps = checks.slice(1).map((at, i) => at - checks[i]!);
    expect(gaps.length, 'fewer than two status checks').toBeGreaterThanOrEqual(2);
    // The mean, not each gap: on a busy machine the browser's request events reach the test in
    // bursts, while a page that polls without waiting would bring the mean far below a second.
    const meanGap = (checks.at(-1)! - checks[0]!) / gaps.length;
    expect(meanGap, `status checks ${gaps.join(', ')} ms apart: the page should poll about once a second`).toBeGreaterThanOrEqual(900);
  });
});
