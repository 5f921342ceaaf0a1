// Starts the optimizer: config, logger, admin listener, font check, listen, one readiness line.
// DELIBERATE WEAKNESS: no graceful shutdown (lab 04).
import { createServer } from 'node:http';
import { startAdminServer } from '../lib/admin-server.ts';
import { createLogger } from '../lib/logger.ts';
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
  await listen(server, config.OPTIMIZER_HOST, config.OPTIMIZER_PORT, 'OPTIMIZER_HOST/OPTIMIZER_PORT');
  return { log, config, ready: `optimizer ready on http://${config.OPTIMIZER_HOST}:${config.OPTIMIZER_PORT} (${config.OPTIMIZER_CONCURRENCY} workers); ${admin}` };
});
