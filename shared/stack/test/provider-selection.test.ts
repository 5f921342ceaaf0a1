import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { missingBinaries } from '../binaries.ts';
import { dockerAnswers } from '../containers.ts';
import { ALL_SERVICES, assertProviderChoice, selectProvider, startStack, StackError, type ProviderChecks } from '../index.ts';

const noDocker: ProviderChecks = { dockerAnswers: async () => false, missingNative: () => [] };
const dockerHere = await dockerAnswers();

afterEach(() => vi.unstubAllEnvs());

describe('stack provider selection', () => {
  it('auto picks containers when a Docker engine answers', async () => {
    const checks: ProviderChecks = { dockerAnswers: async () => true, missingNative: () => ['minio'] };
    expect((await selectProvider('auto', ALL_SERVICES, checks)).provider).toBe('containers');
  });

  it('auto picks native when no Docker engine answers and the native binaries are present', async () => {
    expect((await selectProvider('auto', ALL_SERVICES, noDocker)).provider).toBe('native');
  });

  it.skipIf(dockerHere || missingBinaries(ALL_SERVICES).length > 0)('auto picks native on this machine, which has no Docker engine', async () => {
    expect((await selectProvider('auto', ALL_SERVICES)).provider).toBe('native');
  });

  it('an explicit provider is used as asked, without probing Docker', async () => {
    const checks: ProviderChecks = { dockerAnswers: () => Promise.reject(new Error('must not probe')), missingNative: () => ['minio'] };
    expect((await selectProvider('native', ALL_SERVICES, checks)).provider).toBe('native');
    expect((await selectProvider('containers', ALL_SERVICES, checks)).provider).toBe('containers');
  });

  it('an unknown provider name is a one-line error naming the allowed values', async () => {
    expect(() => assertProviderChoice('docker', 'STACK_PROVIDER')).toThrow(StackError);
    expect(() => assertProviderChoice('docker', 'STACK_PROVIDER')).toThrow('STACK_PROVIDER="docker" is not a stack provider; use one of: auto, native, containers');
    vi.stubEnv('STACK_PROVIDER', 'podman');
    const error = await startStack().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackError);
    expect((error as Error).message).toMatch(/^STACK_PROVIDER="podman" is not a stack provider; use one of: auto, native, containers$/);
  });

  it('explains both ways in one paragraph when neither Docker nor the native binaries work', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'nws-empty-bin-'));
    try {
      vi.stubEnv('NWS_BIN_DIR', empty);
      const checks: ProviderChecks = { dockerAnswers: async () => false, missingNative: (services) => missingBinaries(services) };
      const error = await selectProvider('auto', ALL_SERVICES, checks).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StackError);
      const message = (error as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toContain('no Docker engine answers');
      expect(message).toContain('missing: minio, toxiproxy-server');
      expect(message).toContain(empty);
      expect(message).toContain('npm run services:install');
      expect(message).toContain('brew install redis rabbitmq minio toxiproxy');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('a forced native provider with a missing binary fails at once, in one line naming services:install', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'nws-empty-bin-'));
    try {
      vi.stubEnv('NWS_BIN_DIR', empty);
      const t0 = performance.now();
      const error = await startStack({ provider: 'native', services: ['minio'] }).catch((e: unknown) => e);
      expect(performance.now() - t0).toBeLessThan(1_000);
      expect(error).toBeInstanceOf(StackError);
      expect((error as Error).message).toBe(`native provider: minio not found in ${empty}; run \`npm run services:install\` (macOS: brew install redis rabbitmq minio toxiproxy prometheus)`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
