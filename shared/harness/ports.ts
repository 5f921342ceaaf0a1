import { createServer } from 'node:net';

// Ports this process already handed out: two services started at once must not get the same one.
const handedOut = new Set<number>();

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it), never the same twice in one process. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await osPort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
