import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listLabs, resolveLab } from '../catalog.ts';
import { plannedLabs } from '../planned.ts';
import { createFixture, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeAll(() => {
  fx = createFixture();
});
afterAll(() => fx.cleanup());

describe('labs not yet written', () => {
  it('are the planned labs 05–13 whose number has no lab folder', () => {
    expect(plannedLabs(listLabs(fx.repo)).map((lab) => `${lab.nn} ${lab.slug}`)).toEqual([
      '05 rate-limiting', '06 circuit-breaker', '07 metrics-health', '08 tracing', '09 caching', '10 gc-pooling', '11 http2', '12 scaling-dlq', '13 jwt',
    ]);
    const written = [...listLabs(fx.repo), { number: 7, nn: '07', slug: 'metrics-health', name: '07-metrics-health', dir: join(fx.root, 'labs/07-metrics-health') }];
    expect(plannedLabs(written).map((lab) => lab.nn)).not.toContain('07');
  });

  it('are named back in one line as not written yet, by number or by slug', () => {
    const message = 'lab 05 · Protect the service from one greedy client is not written yet; valid labs: 01-first, 02-second';
    expect(() => resolveLab(fx.repo, '5')).toThrow(message);
    expect(() => resolveLab(fx.repo, 'lab-05')).toThrow(message);
    expect(() => resolveLab(fx.repo, 'rate-limiting')).toThrow(message);
    expect(() => resolveLab(fx.repo, '14')).toThrow('unknown lab "14"');
  });

  it('stop being planned once their folder exists', () => {
    mkdirSync(join(fx.root, 'labs/05-rate-limiting'));
    expect(resolveLab(fx.repo, '5').name).toBe('05-rate-limiting');
    expect(plannedLabs(listLabs(fx.repo))[0]!.nn).toBe('06');
  });
});
