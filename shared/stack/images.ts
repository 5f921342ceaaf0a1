// Every container image the containers provider runs, pinned to an exact tag in this one
// place. Redis matches Debian 12's redis-server (7.0.15) so both providers behave alike;
// RabbitMQ stays on the 3.x line of Debian's 3.10.8 (quorum-queue delivery limits work the
// same); MinIO's community images stopped in 2025 and Docker Hub's copy is gone, hence quay.io;
// Toxiproxy is the same 2.5.0 that `npm run services:install` builds.
import type { ServiceName } from './types.ts';

export const IMAGES: Record<ServiceName, string> = {
  redis: 'redis:7.0.15-alpine',
  rabbitmq: 'rabbitmq:3.13.7-alpine',
  minio: 'quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z',
  toxiproxy: 'ghcr.io/shopify/toxiproxy:2.5.0',
};
