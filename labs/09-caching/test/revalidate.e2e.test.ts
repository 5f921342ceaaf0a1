// 09.etag-304 on the web page: in a real Chromium, the page fetches its result from
// GET /image/:key, then asks again with the ETag it was given, and shows the 304. The wire is
// read from the browser's own network events: the statuses, the ETag and the If-None-Match sent.
import { join } from 'node:path';
import type { Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openBrowser, SHOTS, textOf, UI_TIMEOUT_MS, uploadThroughPage, type Browser } from '../../../shared/harness/browser.ts';
import { buildWeb } from '../../../shared/harness/build-web.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { smallPhoto, withComment } from '../../06-circuit-breaker/test/breaker-helpers.ts';
import { unseenKey } from './cache-helpers.ts';

describe('the web page revalidates its result', () => {
  let svc: RunningService;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    const tree = inject('tree');
    [browser, svc] = await Promise.all([openBrowser(), buildWeb(tree).then((webDir) => startService({ tree, stack: inject('stack'), webDir, processes: ['api', 'optimizer'] }))]);
    page = await browser.context.newPage();
    await page.goto(`${svc.apiUrl}/`);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.stopAll();
  });

  it('09.etag-304 the page fetches its result with GET /image/:key, sends the ETag back in If-None-Match and shows the 304', { timeout: 60_000 }, async () => {
    try {
      const answer = await uploadThroughPage(page, { image: withComment(await smallPhoto(), `revalidate ${unseenKey()}`), text: 'Revalidate' });
      expect(answer.status(), await answer.text().catch(() => '')).toBe(200);
      const key = answer.headers()['x-cache-key'];
      expect(key, 'the upload answer names its cache key (X-Cache-Key)').toMatch(/^[0-9a-f]{64}$/);
      const fetches: Response[] = [];
      page.on('response', (response) => {
        if (new URL(response.url()).pathname === `/image/${key}`) fetches.push(response);
      });
      await page.getByTestId('revalidate').click({ timeout: UI_TIMEOUT_MS });
      await expect.poll(() => textOf(page, 'revalidate-answer'), { timeout: UI_TIMEOUT_MS }).toMatch(/^200 · /);
      await page.getByTestId('revalidate').click({ timeout: UI_TIMEOUT_MS });
      await expect.poll(() => textOf(page, 'revalidate-answer'), { timeout: UI_TIMEOUT_MS }).toMatch(/^304 Not Modified/);
      await page.screenshot({ path: join(SHOTS, 'revalidated.png') });

      expect(fetches.map((response) => response.status()), 'GET /image/:key as the browser saw it').toEqual([200, 304]);
      const etag = await fetches[0]!.headerValue('etag');
      expect(etag, 'the 200 carries a strong ETag').toMatch(/^"[^"]+"$/);
      expect(await fetches[1]!.request().headerValue('if-none-match'), 'the second request sends that ETag back').toBe(etag);
      expect((await fetches[1]!.request().sizes()).responseBodySize, 'bytes of body the 304 carried').toBe(0);
    } catch (error) {
      await page.screenshot({ path: join(SHOTS, 'failed-revalidate.png') }).catch(() => {});
      throw error;
    }
  });
});
