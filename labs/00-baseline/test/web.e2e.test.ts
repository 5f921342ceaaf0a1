// The web page, end to end: the tree's page built with Vite, served by the tree's API, driven
// in a real headless Chromium (Debian's, through playwright-core; shared/harness/browser.ts).
// Screenshots of each state land in $WEB_E2E_SCREENSHOTS (default: <tmpdir>/nws-web-e2e), and
// one named `failed-<test>.png` whenever a test fails.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { notAnImage, photoJpeg } from '../../../shared/fixtures/images.ts';
import { loadedSize as loadedSizeOn, openBrowser, SHOTS, textOf, UI_TIMEOUT_MS, uploadThroughPage as uploadThroughPageOn, type Browser, type UploadInput } from '../../../shared/harness/browser.ts';
import { buildWeb } from '../../../shared/harness/build-web.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { serverTiming } from '../../../shared/harness/upload.ts';

let svc: RunningService;
let browser: Browser | undefined;
let page: Page;
// Set when the browser cannot start (no Chromium): every test then fails with it (a failed
// beforeAll would only mark them skipped, and a skipped criterion reads like a passed one).
let browserError: Error | undefined;

beforeAll(async () => {
  try {
    browser = await openBrowser();
  } catch (error) {
    browserError = error as Error;
    return;
  }
  const tree = inject('tree');
  const webDir = await buildWeb(tree);
  // A short retry delay, so the queued-job test sees the worker come round quickly (from lab 06
  // on the delay is a backoff: RETRY_MAX_DELAY_MS caps it; earlier labs ignore the setting).
  svc = await startService({ tree, stack: inject('stack'), webDir, env: { RETRY_DELAY_MS: '300', RETRY_MAX_DELAY_MS: '600' } });
});

afterAll(async () => {
  await browser?.close();
  await svc?.stopAll();
});

beforeEach(async () => {
  if (browserError) throw browserError;
  page = await browser!.context.newPage();
  await page.goto(`${svc.apiUrl}/`);
});

afterEach(async ({ task }) => {
  if (task.result?.state === 'fail' && page) {
    await page.screenshot({ path: join(SHOTS, `failed-${task.name.replace(/\W+/g, '-').slice(0, 60)}.png`) }).catch(() => {});
  }
  await page?.close();
});

const uploadThroughPage = (input: UploadInput) => uploadThroughPageOn(page, input);
const loadedSize = (testId: string) => loadedSizeOn(page, testId);
const text = (testId: string) => textOf(page, testId);

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
