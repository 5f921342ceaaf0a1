// 10.alloc-budget: the bytes the optimizer's upload reader allocates per 1 MiB upload, measured
// by the harness from V8's own counters in a process of its own (measure/alloc-per-upload.ts),
// against lab 10's starter in the same run. The measurement also checks every upload's bytes.
import { describe, expect, inject, it } from 'vitest';
import { measureInChild } from '../measure/alloc-per-upload.ts';
import { starterTree } from './pool-helpers.ts';

// The budget: a fiftieth of the starter's figure. A reader that still copies each upload once
// (1 MiB) spends a tenth of it; the pooled one spends under half a percent (busboy's objects).
const SHARE_OF_STARTER = 0.02;

describe('bytes allocated per upload read', () => {
  it('10.alloc-budget reading a 1 MiB upload allocates at most 2 % of the starter\'s bytes per upload, and hands back the exact bytes', { timeout: 120_000 }, () => {
    const starter = measureInChild(starterTree());
    const tree = measureInChild(inject('tree'));
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
    console.log(`bytes per upload: starter ${kib(starter.totalPerUpload)} (external ${kib(starter.externalPerUpload)}), this tree ${kib(tree.totalPerUpload)} (external ${kib(tree.externalPerUpload)})`);
    expect(starter.totalPerUpload, "the starter's reader allocated less than its upload's size: the measurement saw nothing").toBeGreaterThan(starter.pictureBytes);
    expect(tree.totalPerUpload, `this tree's reader allocates ${kib(tree.totalPerUpload)} per upload (heap ${kib(tree.heapPerUpload)}, external ${kib(tree.externalPerUpload)}); the budget is ${kib(starter.totalPerUpload * SHARE_OF_STARTER)}, 2 % of the starter's ${kib(starter.totalPerUpload)}`).toBeLessThanOrEqual(starter.totalPerUpload * SHARE_OF_STARTER);
  });
});
