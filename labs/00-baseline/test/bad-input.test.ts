import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hugeHeaderPng, notAnImage, photoJpeg, truncatedJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { upload } from '../../../shared/harness/upload.ts';

let svc: RunningService;
beforeAll(async () => {
  svc = await startService({ tree: inject('tree'), stack: inject('stack') });
});
afterAll(() => svc?.stopAll());

interface ErrorBody {
  error: { code: string; message: string };
}

describe('bad input gets a clear 4xx', () => {
  const cases = [
    ['a missing file', 400, async () => ({ wmText: 'no file' })],
    ['an unknown wm_position', 400, async () => ({ image: await photoJpeg(320, 240), wmPosition: 'centre' })],
    ['wm_text longer than 100 characters', 400, async () => ({ image: await photoJpeg(320, 240), wmText: 'x'.repeat(101) })],
    ['a file that is not an image', 415, async () => ({ image: await notAnImage(), filename: 'list.png' })],
    ['a truncated JPEG', 415, async () => ({ image: await truncatedJpeg() })],
    ['a PNG whose header declares 50 000 × 50 000 pixels', 415, async () => ({ image: await hugeHeaderPng(), filename: 'bomb.png' })],
  ] as const;

  for (const [what, status, make] of cases) {
    it(`answers ${status} with a reason for ${what}`, async () => {
      const res = await upload(svc.apiUrl, await make());
      expect(res.status, res.body.toString().slice(0, 200)).toBe(status);
      const { error } = res.json<ErrorBody>();
      expect(error.code).toMatch(/^[A-Z_]+$/);
      expect(error.message.length).toBeGreaterThan(10);
    });
  }

  it('keeps every process alive and serving after all of them', async () => {
    for (const name of ['api', 'optimizer', 'worker'] as const) {
      expect(() => process.kill(svc.pid(name)!, 0), `${name} died`).not.toThrow();
    }
    const res = await upload(svc.apiUrl, { image: await photoJpeg(320, 240), wmText: 'still alive' });
    expect(res.status).toBe(200);
  });
});
