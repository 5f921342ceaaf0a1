// The RabbitMQ connection and the retry queue's declaration, shared by the API (which
// publishes) and the worker (which consumes); both must declare the queue identically.
import amqp from 'amqplib';
import type { Channel, ChannelModel, RecoveringChannelModel } from 'amqplib';
import { redactUrl } from './logger.ts';
import type { Logger } from './logger.ts';
import { dependencyStep } from './startup.ts';

/**
 * Connects with amqplib's recovery: `setup` runs after the first connection and after each
 * reconnect (channels do not survive a lost connection). Start-up fails on the first
 * refused attempt instead of retrying in the dark.
 */
export async function connectAmqp(url: string, setup: (model: ChannelModel) => Promise<void>, log: Logger): Promise<RecoveringChannelModel> {
  // The URL carries the broker password; the failure line says where, never with what.
  const connection = await dependencyStep(`RabbitMQ at ${redactUrl(url)}`, 'start RabbitMQ or set AMQP_URL', () =>
    amqp.connect(url, { recovery: { initialMaxRetries: 0, setup } }),
  );
  connection.on('disconnect', (error: Error) => log.warn({ err: error }, `amqp: connection lost (${error.message}); reconnecting`));
  connection.on('connect', () => log.info('amqp: reconnected'));
  connection.on('error', (error: Error) => log.error({ err: error }, `amqp: ${error.message}`));
  return connection;
}

/** Declares the durable retry queue so its messages survive a broker restart. */
export async function assertRetryQueue(channel: Channel, name: string): Promise<void> {
  await channel.assertQueue(name, { durable: true });
}
