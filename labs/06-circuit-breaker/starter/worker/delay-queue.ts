// Where a failed job waits for its next attempt: in RabbitMQ, not in the worker. The job is
// republished, with a per-message `expiration`, to a delay queue nobody consumes; when it
// expires, RabbitMQ dead-letters it through the `<queue>.return` exchange back to the job
// queue, and the worker takes it again. The
// worker holds nothing while a job waits: the next job is not held back, and a worker that
// stops or crashes loses no waiting job.
//
// RabbitMQ expires a message only once it is at the head of its queue: a 4 s message in front
// of a 1 s one holds the 1 s one back. So the delays are sorted into slots of DELAY_SLOT_MS,
// one delay queue per slot, and within a slot the order is off by less than a slot. Each
// delay queue deletes itself (x-expires) once unused for a minute past its delay.
//
// Every delayed message goes through one topic exchange, `<queue>.retry`, routing key
// `slot.<n>`, and comes back through the direct exchange `<queue>.return`: anyone may bind a
// queue of their own to either and see every retry scheduled, and every retry released.
import type { Channel, ConsumeMessage } from 'amqplib';

export const DELAY_SLOT_MS = 100;
const UNUSED_QUEUE_LIFETIME_MS = 60_000;

/** The topic exchange every delayed message goes through. */
export function retryExchangeName(queue: string): string {
  return `${queue}.retry`;
}

/** The direct exchange an expired message comes back through, routing key `queue`. */
export function returnExchangeName(queue: string): string {
  return `${queue}.return`;
}

// What each channel has declared already: one declaration per channel and slot, not per job.
const declared = new WeakMap<Channel, Set<string>>();

/**
 * Sends `message` back to `queue` in `delayMs` (rounded to a whole millisecond), with `headers`
 * added to its own. The caller acks the original afterwards, on the same channel: the broker
 * handles a channel's frames in order, so the copy is routed before the original is dropped.
 */
export async function publishDelayed(channel: Channel, queue: string, message: ConsumeMessage, delayMs: number, headers: Record<string, unknown> = {}): Promise<void> {
  const delay = Math.max(0, Math.round(delayMs));
  const slot = Math.floor(delay / DELAY_SLOT_MS);
  const exchange = retryExchangeName(queue);
  const done = declared.get(channel) ?? new Set<string>();
  declared.set(channel, done);
  if (!done.has(exchange)) {
    await channel.assertExchange(exchange, 'topic', { durable: true });
    await channel.assertExchange(returnExchangeName(queue), 'direct', { durable: true });
    await channel.bindQueue(queue, returnExchangeName(queue), queue);
    done.add(exchange);
  }
  const delayQueue = `${queue}.delay.${slot * DELAY_SLOT_MS}`;
  if (!done.has(delayQueue)) {
    await channel.assertQueue(delayQueue, {
      durable: true,
      arguments: {
        'x-dead-letter-exchange': returnExchangeName(queue),
        'x-dead-letter-routing-key': queue,
        'x-expires': (slot + 1) * DELAY_SLOT_MS + UNUSED_QUEUE_LIFETIME_MS,
      },
    });
    await channel.bindQueue(delayQueue, exchange, `slot.${slot}`);
    done.add(delayQueue);
  }
  const { properties } = message;
  channel.publish(exchange, `slot.${slot}`, message.content, {
    persistent: true,
    contentType: properties.contentType,
    headers: { ...properties.headers, ...headers },
    expiration: String(delay),
  });
}
