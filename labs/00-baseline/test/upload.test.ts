import { createHash } from 'node:crypto';
import { Client } from 'minio';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cornerBackground, photoJpeg, pngWithAlpha, tinyImage } from '../../../shared/fixtures/images.ts';
import { luma } from '../../../shared/harness/pixels.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { get, serverTiming, upload } from '../../../shared/harness/upload.ts';

let svc: RunningService;
beforeAll(async () => {
  svc = await startService({ tree: inject('tree'), stack: inject('stack') });
});
afterAll(() => svc?.stopAll());

async function size(image: Buffer): Promise<[number, number]> {
  const { width, height } = await sharp(image).metadata();
  return [width!, height!];
}

describe('POST /upload', () => {
  it('answers a MISS, then a HIT with the same bytes for the same image and watermark', async () => {
    const image = await photoJpeg(1200, 900);
    const first = await upload(svc.apiUrl, { image, wmText: 'miss then hit' });
    expect(first.status, first.body.toString().slice(0, 200)).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/jpeg');
    expect(first.headers.get('x-cache')).toBe('MISS');
    const second = await upload(svc.apiUrl, { image, wmText: 'miss then hit' });
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.headers.get('x-cache-key')).toBe(first.headers.get('x-cache-key'));
    expect(second.body.equals(first.body)).toBe(true);
  });

  it('keeps one original in MinIO for two watermark variants of the same image', async () => {
    const image = await photoJpeg(1000, 750);
    const a = await upload(svc.apiUrl, { image, wmText: 'variant A' });
    const b = await upload(svc.apiUrl, { image, wmText: 'variant B', wmPosition: 'top-left' });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.headers.get('x-cache-key')).not.toBe(b.headers.get('x-cache-key'));
    const { endpoint, accessKey, secretKey } = inject('stack').minio;
    const url = new URL(endpoint);
    const s3 = new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey, secretKey });
    const sha = createHash('sha256').update(image).digest('hex');
    const names: string[] = [];
    for await (const item of s3.listObjectsV2(svc.bucket, '', true)) if (item.name?.includes(sha)) names.push(item.name);
    expect(names, 'objects named for this image').toHaveLength(1);
    const stored = await s3.getObject(svc.bucket, names[0]!).then((s) => s.toArray());
    expect(Buffer.concat(stored).equals(image)).toBe(true);
  });

  it('names every pipeline step in Server-Timing, on a miss and on a hit', async () => {
    const image = await photoJpeg(640, 480);
    for (const expected of ['MISS', 'HIT']) {
      const res = await upload(svc.apiUrl, { image, wmText: 'timing' });
      expect(res.headers.get('x-cache')).toBe(expected);
      const steps = serverTiming(res.headers.get('server-timing'));
      expect([...steps.keys()]).toEqual(expect.arrayContaining(['redis', 'minio', 'optimizer', 'gzip', 'total']));
      for (const ms of steps.values()) expect(ms).toBeGreaterThanOrEqual(0);
      expect(steps.get('total')!).toBeGreaterThan(0);
    }
  });

  it('fits the output within 1920×1080, keeps the ratio and never enlarges', async () => {
    const cases: [Buffer, [number, number]][] = [
      [await photoJpeg(), [1440, 1080]],
      [await photoJpeg(4000, 1000), [1920, 480]],
      [await tinyImage(), [16, 16]],
    ];
    for (const [image, expected] of cases) {
      const res = await upload(svc.apiUrl, { image, wmText: 'fit' });
      expect(res.status, res.body.toString().slice(0, 200)).toBe(200);
      expect(await size(res.body)).toEqual(expected);
    }
  });

  it('turns a PNG with alpha into a JPEG', async () => {
    const res = await upload(svc.apiUrl, { image: await pngWithAlpha(), filename: 'alpha.png', wmText: 'alpha' });
    expect(res.status).toBe(200);
    expect((await sharp(res.body).metadata()).format).toBe('jpeg');
  });

  it('writes dark text on a light background and light text on a dark one (measured on output pixels)', async () => {
    const light = await upload(svc.apiUrl, { image: await cornerBackground('light'), wmText: 'Adaptive colour' });
    const dark = await upload(svc.apiUrl, { image: await cornerBackground('dark'), wmText: 'Adaptive colour' });
    const [width, height] = await size(light.body);
    // The bottom-right quarter of the output: where the default position puts the text.
    const corner = { left: width / 2, top: height / 2, width: width / 2, height: height / 2 };
    const onLight = await luma(light.body, corner);
    const onDark = await luma(dark.body, corner);
    // The background is ~235 (light) or ~20 (dark): the text's pixels must differ the other way.
    expect(onLight.outliers.count, 'no visible text on the light background').toBeGreaterThan(100);
    expect(onLight.outliers.mean, 'text on the light background is not darker').toBeLessThan(onLight.median);
    expect(onDark.outliers.count, 'no visible text on the dark background').toBeGreaterThan(100);
    expect(onDark.outliers.mean, 'text on the dark background is not lighter').toBeGreaterThan(onDark.median);
  });

  it('places the watermark in each of the four corners', async () => {
    const image = await cornerBackground('dark');
    const expected = { 'top-left': [0, 0], 'top-right': [1, 0], 'bottom-left': [0, 1], 'bottom-right': [1, 1] } as const;
    for (const [position, [right, bottom]] of Object.entries(expected)) {
      const res = await upload(svc.apiUrl, { image, wmText: 'Corner', wmPosition: position });
      expect(res.status).toBe(200);
      const { outliers } = await luma(res.body);
      expect(outliers.count, `${position}: no watermark pixels`).toBeGreaterThan(100);
      expect(outliers.x > 0.5 ? 1 : 0, `${position}: text centred at x=${outliers.x.toFixed(2)}`).toBe(right);
      expect(outliers.y > 0.5 ? 1 : 0, `${position}: text centred at y=${outliers.y.toFixed(2)}`).toBe(bottom);
    }
  });
});

describe('GET /status/:key and /image/:key', () => {
  it('reports done with the image URL for a processed upload, and 404 for an unknown key', async () => {
    const res = await upload(svc.apiUrl, { image: await photoJpeg(320, 240), wmText: 'status' });
    const key = res.headers.get('x-cache-key')!;
    const status = await get(`${svc.apiUrl}/status/${key}`);
    expect(status.json()).toEqual({ status: 'done', url: `/image/${key}` });
    const image = await get(`${svc.apiUrl}/image/${key}`);
    expect(image.status).toBe(200);
    expect(image.body.equals(res.body)).toBe(true);
    const unknown = await get(`${svc.apiUrl}/status/${'0'.repeat(64)}`);
    expect(unknown.status).toBe(404);
  });
});

describe('gzip', () => {
  it('compresses JSON only when the client accepts gzip, and never the JPEG', async () => {
    const url = `${svc.apiUrl}/status/${'0'.repeat(64)}`;
    const accepted = await fetch(url, { headers: { 'accept-encoding': 'gzip' } });
    expect(accepted.headers.get('content-encoding')).toBe('gzip');
    expect(accepted.headers.get('vary')).toMatch(/accept-encoding/i);
    expect(((await accepted.json()) as { error: { code: string } }).error.code).toBeTruthy();
    const refused = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
    expect(refused.headers.get('content-encoding')).toBeNull();

    const image = await upload(svc.apiUrl, { image: await photoJpeg(320, 240), wmText: 'gzip', headers: { 'accept-encoding': 'gzip' } });
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    expect(image.headers.get('content-encoding')).toBeNull();
  });
});
