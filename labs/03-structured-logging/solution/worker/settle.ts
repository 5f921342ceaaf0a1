// Acks and nacks on a channel that may have died meanwhile (broker restart, lost
// connection): amqplib then throws, and the broker redelivers the unacknowledged message
// to the next consumer anyway, so the failure is logged and nothing else is needed.
import type { Logger } from '../lib/logger.ts';

export function settle(acknowledge: () => void, log: Logger): void {
  try {
    acknowledge();
  } catch (error) {
    log.warn({ err: error }, `amqp: could not settle message (${error instanceof Error ? error.message : String(error)}); the broker will redeliver it`);
  }
}
