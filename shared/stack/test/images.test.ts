import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ImageName, type GenericContainer } from 'testcontainers';
import { describe, expect, it } from 'vitest';
import { DEFINITIONS } from '../containers.ts';
import { IMAGES, imagesFor, LOCAL_BASE_IMAGE, LOCAL_IMAGES } from '../images.ts';
import { StackError } from '../stack-error.ts';
import { ALL_SERVICES } from '../index.ts';

// An exact release: x.y.z (Prometheus's own tags start with v), or MinIO's RELEASE.<timestamp>.
const EXACT_VERSION = /^(v?\d+\.\d+\.\d+(-[a-z0-9.-]+)?|RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z)$/;
const root = resolve(import.meta.dirname, '../../..');
const images = Object.keys(IMAGES) as (keyof typeof IMAGES)[];

describe('container images', () => {
  it.each(Object.entries({ ...IMAGES, ...Object.fromEntries(images.map((s) => [`local ${s}`, LOCAL_IMAGES[s]])) }))(
    '%s is pinned to an exact version tag, never latest',
    (_service, image) => {
      const { tag } = ImageName.fromString(image);
      expect(tag).not.toBe('latest');
      expect(tag).toMatch(EXACT_VERSION);
    },
  );

  it('the containers provider runs exactly the image it is given', () => {
    for (const service of ALL_SERVICES) {
      // imageName is protected in testcontainers; reading it is the only way to see what
      // a container definition would pull without an engine.
      const container = DEFINITIONS[service].create(IMAGES[service]) as unknown as { imageName: ImageName } & GenericContainer;
      expect(container.imageName.string).toBe(ImageName.fromString(IMAGES[service]).string);
    }
  });

  it('learners get the pinned official images; NWS_IMAGES=local the ones services:images builds; NWS_IMAGE_<SERVICE> one of their own', () => {
    expect(imagesFor({})).toEqual(IMAGES);
    expect(imagesFor({ NWS_IMAGES: 'official' })).toEqual(IMAGES);
    expect(imagesFor({ NWS_IMAGES: 'local' })).toEqual(LOCAL_IMAGES);
    expect(imagesFor({ NWS_IMAGE_REDIS: 'mirror.example/redis:7.0.15' })).toEqual({ ...IMAGES, redis: 'mirror.example/redis:7.0.15' });
    expect(() => imagesFor({ NWS_IMAGES: 'podman' })).toThrow(StackError);
    expect(() => imagesFor({ NWS_IMAGES: 'podman' })).toThrow('NWS_IMAGES="podman" is not an image set; use one of: official, local');
  });

  it('a local image is never named like an official one: localhost/nws-<service>', () => {
    const official = new Set(Object.values(IMAGES).map((image) => ImageName.fromString(image).image));
    for (const image of [...Object.values(LOCAL_IMAGES), LOCAL_BASE_IMAGE]) {
      const name = ImageName.fromString(image);
      expect(name.registry, image).toBe('localhost');
      expect(name.image, image).toMatch(/^nws-[a-z]+$/);
      expect(official.has(name.image), image).toBe(false);
    }
  });

  it('the local MinIO and Toxiproxy tags are the Go module versions services:install builds', () => {
    const install = readFileSync(resolve(root, 'scripts/services-install.sh'), 'utf8');
    const versionOf = (variable: string) => install.match(new RegExp(`^${variable}=\\S+@v(\\S+)$`, 'm'))?.[1];
    expect(ImageName.fromString(LOCAL_IMAGES.minio).tag).toBe(versionOf('MINIO_MODULE'));
    expect(ImageName.fromString(LOCAL_IMAGES.toxiproxy).tag).toBe(versionOf('TOXIPROXY_MODULE'));
  });
});
