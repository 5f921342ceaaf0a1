import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGES } from '../images.ts';

const root = resolve(import.meta.dirname, '../../..');
const compose = readFileSync(resolve(root, 'docker-compose.yml'), 'utf8');

function composeImage(service: string): string | undefined {
  const block = compose.split(/\n(?= {2}\w)/).find((b) => b.trimStart().startsWith(`${service}:`));
  return block?.match(/image: (\S+)/)?.[1];
}

describe('docker-compose.yml', () => {
  it('is valid for docker-compose (Debian 1.29 and Compose v2 alike)', () => {
    const result = spawnSync('docker-compose', ['-f', resolve(root, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8' });
    expect(result.error, 'docker-compose is not installed: apt-get install docker-compose').toBeUndefined();
    expect(result.stderr.trim()).toBe('');
    expect(result.status).toBe(0);
  });

  it('runs the same image versions as the containers provider', () => {
    for (const [service, image] of Object.entries(IMAGES)) {
      const expected = service === 'rabbitmq' ? image.replace('-alpine', '-management-alpine') : image;
      expect(composeImage(service), service).toBe(expected);
    }
  });

  it('pins every image to an exact version', () => {
    for (const [, image] of compose.matchAll(/image: (\S+)/g)) {
      expect(image, image).toMatch(/:[\w.-]*\d[\w.-]*$/);
      expect(image).not.toMatch(/:latest$/);
    }
  });
});
