// Loopback ports nobody listens on right now. All n sockets are open at once so the ports
// are distinct; the kernel picks them at random, so a clash with a later bind is unlikely.
import { createServer, type AddressInfo, type Server } from 'node:net';

export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((server) => (server.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
