import { ImageName, type GenericContainer } from 'testcontainers';
import { describe, expect, it } from 'vitest';
import { DEFINITIONS } from '../containers.ts';
import { IMAGES } from '../images.ts';
import type { ServiceName } from '../types.ts';

// An exact release: x.y.z, or MinIO's RELEASE.<timestamp>.
const EXACT_VERSION = /^(\d+\.\d+\.\d+(-[a-z0-9.]+)?|RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z)$/;

describe('container images', () => {
  it.each(Object.entries(IMAGES))('%s is pinned to an exact version tag, never latest', (_service, image) => {
    const { tag } = ImageName.fromString(image);
    expect(tag).not.toBe('latest');
    expect(tag).toMatch(EXACT_VERSION);
  });

  it('the containers provider runs exactly the pinned images', () => {
    for (const service of Object.keys(IMAGES) as ServiceName[]) {
      // imageName is protected in testcontainers; reading it is the only way to see what
      // a container definition would pull without an engine.
      const container = DEFINITIONS[service].create() as unknown as { imageName: ImageName } & GenericContainer;
      expect(container.imageName.string).toBe(ImageName.fromString(IMAGES[service]).string);
    }
  });
});
