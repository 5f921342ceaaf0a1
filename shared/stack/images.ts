// Every container image the containers provider runs, pinned to an exact tag in this one
// place. Redis matches Debian 12's redis-server (7.0.15) so both providers behave alike;
// RabbitMQ stays on the 3.x line of Debian's 3.10.8 (quorum-queue delivery limits work the
// same); MinIO's community images stopped in 2025 and Docker Hub's copy is gone, hence quay.io;
// Toxiproxy is the same 2.5.0 that `npm run services:install` builds; Prometheus is Debian 12's
// 2.42.0, which the native provider runs (labs 07+ start a private one per test file).
//
// LOCAL_IMAGES are built on this machine by `npm run services:images` (Debian packages, and
// the MinIO and Toxiproxy binaries services:install builds with Go) for machines that reach
// no registry; each behaves like its official counterpart (ports, entrypoint, readiness line,
// credentials by the same variables) but is named for what it is: never an official name.
// Which set runs: NWS_IMAGES=official (default) | local; NWS_IMAGE_<SERVICE> (for example
// NWS_IMAGE_REDIS=registry.example/redis:7.0.15) overrides one service.
import { StackError } from './stack-error.ts';
import type { ServiceName } from './types.ts';

/** The stack's services, plus the servers a test starts on its own (shared/stack/prometheus.ts). */
export type ImageName = ServiceName | 'prometheus';

export const IMAGES: Record<ImageName, string> = {
  redis: 'redis:7.0.15-alpine',
  rabbitmq: 'rabbitmq:3.13.7-alpine',
  minio: 'quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z',
  toxiproxy: 'ghcr.io/shopify/toxiproxy:2.5.0',
  prometheus: 'prom/prometheus:v2.42.0',
};

/** Tags: the Debian package's upstream version; for MinIO and Toxiproxy the Go module version of scripts/services-install.sh. */
export const LOCAL_IMAGES: Record<ImageName, string> = {
  redis: 'localhost/nws-redis:7.0.15',
  rabbitmq: 'localhost/nws-rabbitmq:3.10.8',
  minio: 'localhost/nws-minio:0.0.0-20260212201848-7aac2a2c5b7c',
  toxiproxy: 'localhost/nws-toxiproxy:2.5.0',
  prometheus: 'localhost/nws-prometheus:2.42.0',
};

/** The Debian base the local images are built on, made with debootstrap. */
export const LOCAL_BASE_IMAGE = 'localhost/nws-debian:bookworm';

export const IMAGE_SETS = ['official', 'local'] as const;
export type ImageSet = (typeof IMAGE_SETS)[number];

export function assertImageSet(value: string): ImageSet {
  if ((IMAGE_SETS as readonly string[]).includes(value)) return value as ImageSet;
  throw new StackError(`NWS_IMAGES="${value}" is not an image set; use one of: ${IMAGE_SETS.join(', ')} (local: the images npm run services:images builds)`);
}

/** The image each service runs with this environment. */
export function imagesFor(env: NodeJS.ProcessEnv = process.env): Record<ImageName, string> {
  const set = assertImageSet(env.NWS_IMAGES || 'official');
  const base = set === 'local' ? LOCAL_IMAGES : IMAGES;
  return Object.fromEntries(
    (Object.keys(base) as ImageName[]).map((service) => [service, env[`NWS_IMAGE_${service.toUpperCase()}`] || base[service]]),
  ) as Record<ImageName, string>;
}
