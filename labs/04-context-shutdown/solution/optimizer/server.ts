// Starts the optimizer: config, logger, admin listener, font check, listen, one readiness line;
// and stops it gracefully on SIGTERM or SIGINT: the listener closes at once, the images
// already accepted are finished and sent (until SHUTDOWN_GRACE_MS), then the process exits 0.
import { createServer } from 'node:http';
import { startAdminServer } from '../lib/admin-server.ts';
import { trackRequests } from '../lib/http-drain.ts';
import { createLogger } from '../lib/logger.ts';
import { exitOnShutdownSignal } from '../lib/shutdown.ts';
import { listen, startOrExit } from '../lib/startup.ts';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { assertFontRenders, resolveFont } from './font.ts';

await startOrExit('optimizer', async () => {
  const config = loadConfig();
  const log = createLogger('optimizer', config);
  const admin = await startAdminServer({ service: 'optimizer', port: config.OPTIMIZER_ADMIN_PORT, portVariable: 'OPTIMIZER_ADMIN_PORT', onError: (message, error) => log.error({ err: error }, message) });
  const font = resolveFont();
  await assertFontRenders(font);
  const server = createServer(buildApp(config, font, log));
  // Before listen: every request is counted from the first one on.
  const requests = trackRequests(server);
  await listen(server, config.OPTIMIZER_HOST, config.OPTIMIZER_PORT, 'OPTIMIZER_HOST/OPTIMIZER_PORT');

  exitOnShutdownSignal({ log, graceMs: config.SHUTDOWN_GRACE_MS }, async (deadline) => {
    log.info({ in_flight: requests.inFlight }, 'listener closed; finishing the images in progress');
    const cut = await requests.drain(deadline);
    if (cut > 0) log.warn({ cut }, `the deadline cut ${cut} image(s) short`);
    return cut === 0;
  });
  return { log, config, ready: `optimizer ready on http://${config.OPTIMIZER_HOST}:${config.OPTIMIZER_PORT} (${config.OPTIMIZER_CONCURRENCY} workers); ${admin}` };
});
