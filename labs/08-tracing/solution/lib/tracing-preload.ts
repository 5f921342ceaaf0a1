// Loaded with `node --import` before a process's entry (preload.json names it; the harness and
// npm start read that file). ESM imports are hoisted and linked before any code runs, so by
// the time api/server.ts could start an SDK, express, ioredis and amqplib are already loaded
// and nothing can wrap them any more. Two things must therefore happen first:
//   1. the loader hook of import-in-the-middle (shipped by @opentelemetry/instrumentation),
//      which lets the instrumentations patch ES modules as they are imported;
//   2. the SDK itself, so the instrumentations are registered before the app's first import.
// Without the hook only the http server span appears, without its route (express is not patched).
import { register } from 'node:module';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
// Imported after register(): a static import would be linked before the hook exists.
const { startTracing } = await import('./tracing.ts');
startTracing();
