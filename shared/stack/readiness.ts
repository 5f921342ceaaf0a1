// Bounded readiness probes: a server is ready when it answers its own protocol, not when
// its port opens. Every wait ends: on success, on the server's exit, on abort, or at a deadline.
import { connect as amqpConnect } from 'amqplib';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { logTail, type ServerProcess } from './server-process.ts';
import { StackError } from './stack-error.ts';

const ATTEMPT_TIMEOUT_MS = 1_000; // one probe; a healthy local server answers in a few ms
const RETRY_DELAY_MS = 50;

export type Probe = () => Promise<void>;

export async function waitReady(server: ServerProcess, probe: Probe, options: { timeoutMs: number; signal: AbortSignal; what: string }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.signal.aborted) throw new StackError(`${server.name}: start abandoned because another server failed`);
    if (server.exit) throw new StackError(`${server.name} exited (${server.exit}) before it answered ${options.what}: ${logTail(server)}`);
    try {
      await probe();
      return;
    } catch {
      // Not ready yet.
    }
    if (Date.now() > deadline) {
      throw new StackError(`${server.name} did not answer ${options.what} within ${options.timeoutMs / 1000} s: ${logTail(server)}`);
    }
    await Promise.race([sleep(RETRY_DELAY_MS), server.exited]);
  }
}

/** A TCP connection is accepted (used for epmd, which speaks no simple ping). */
export function tcpOpen(port: number): Probe {
  return () =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, timeout: ATTEMPT_TIMEOUT_MS });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('timeout', () => socket.destroy(new Error('timeout')));
      socket.once('error', reject);
    });
}

/** Redis answers PING with +PONG (and -LOADING while it is still loading). */
export function redisPing(port: number): Probe {
  return () =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, timeout: ATTEMPT_TIMEOUT_MS });
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        if (data.toString().startsWith('+PONG')) resolve();
        else reject(new Error(data.toString().trim()));
      });
      socket.once('timeout', () => socket.destroy(new Error('timeout')));
      socket.once('error', reject);
    });
}

/** RabbitMQ completes an AMQP handshake; its listener only opens at the end of boot. */
export function amqpHandshake(url: string): Probe {
  return async () => {
    const connection = await amqpConnect(url, { timeout: ATTEMPT_TIMEOUT_MS });
    await connection.close();
  };
}

export function httpOk(url: string): Probe {
  return async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  };
}
