// Before any load: one TCP connection to the target, so "nothing listens there" is one clear
// line instead of thousands of refused requests in the report.
import { connect } from 'node:net';
import { UserError } from './errors.ts';

const CONNECT_TIMEOUT_MS = 3_000;

export async function assertReachable(target: string): Promise<void> {
  const url = new URL(target);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port, timeout: CONNECT_TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(unreachable(target, `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`));
    });
    socket.once('error', (error: NodeJS.ErrnoException) => reject(unreachable(target, error.code ?? error.message)));
  });
}

function unreachable(target: string, why: string): UserError {
  return new UserError(`nothing answers at ${target} (${why})`, 'start the service in another terminal with npm start, or pass --target <URL>');
}
