// Starts the optimizer: config, admin listener, font check, listen, one readiness line.
// DELIBERATE WEAKNESSES: no graceful shutdown (lab 04); plain console logs (lab 03).
import { createServer } from 'node:http';
import { startAdminServer } from '../lib/admin-server.ts';
import { listen, startOrExit } from '../lib/startup.ts';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { assertFontRenders, resolveFont } from './font.ts';

await startOrExit('optimizer', async () => {
  const config = loadConfig();
  const admin = await startAdminServer({ service: 'optimizer', port: config.OPTIMIZER_ADMIN_PORT, portVariable: 'OPTIMIZER_ADMIN_PORT', onError: (message, error) => console.error(message, error) });
  const font = resolveFont();
  await assertFontRenders(font);
  const server = createServer(buildApp(config, font));
  await listen(server, config.OPTIMIZER_HOST, config.OPTIMIZER_PORT, 'OPTIMIZER_HOST/OPTIMIZER_PORT');
  return `optimizer ready on http://${config.OPTIMIZER_HOST}:${config.OPTIMIZER_PORT} (${config.OPTIMIZER_CONCURRENCY} workers); ${admin}`;
});
