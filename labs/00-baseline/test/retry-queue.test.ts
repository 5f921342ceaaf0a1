import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { get, upload } from '../../../shared/harness/upload.ts';
import { waitFor } from '../../../shared/harness/wait.ts';

let svc: RunningService;
beforeAll(async () => {
  // A short fixed retry sleep so the worker's naive loop comes round within the test.
  svc = await startService({ tree: inject('tree'), stack: inject('stack'), env: { RETRY_DELAY_MS: '300' } });
});
afterAll(() => svc?.stopAll());

describe('optimizer down', () => {
  it('answers 202 with a status URL, then the worker completes the job and /status turns done', async () => {
    await svc.stop('optimizer', 'SIGKILL');
    const image = await photoJpeg(900, 600);
    const queued = await upload(svc.apiUrl, { image, wmText: 'queued while down' });
    expect(queued.status, queued.body.toString().slice(0, 200)).toBe(202);
    const body = queued.json<{ status: string; statusUrl: string }>();
    expect(body.status).toBe('pending');
    expect(body.statusUrl).toMatch(/^\/status\/[0-9a-f]{64}$/);
    expect((await get(svc.apiUrl + body.statusUrl)).json()).toEqual({ status: 'pending' });

    await svc.start('optimizer');
    const done = await waitFor(
      'the worker to finish the queued job',
      async () => {
        const status = (await get(svc.apiUrl + body.statusUrl)).json<{ status: string; url?: string }>();
        return status.status === 'done' ? status : undefined;
      },
      15_000,
      200,
    );
    const image2 = await get(svc.apiUrl + done.url!);
    expect(image2.status).toBe(200);
    expect(image2.headers.get('content-type')).toBe('image/jpeg');

    // The same upload is now a cache hit: the worker stored the result under the upload's key.
    const again = await upload(svc.apiUrl, { image, wmText: 'queued while down' });
    expect(again.headers.get('x-cache')).toBe('HIT');
    expect(again.body.equals(image2.body)).toBe(true);
  });
});
