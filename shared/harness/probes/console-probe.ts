// Preloaded into a service process (node --import) by lab 03's tests. Every write to stdout or
// stderr that does not come from pino (its destination, sonic-boom, or pino-pretty) is recorded
// with its stack in CONSOLE_PROBE_FILE: a console call behind an alias, a bare
// process.stdout.write or an fs.writeSync(1, …) all show, whatever the source text looks like.
// The writes themselves go through unchanged.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

/** A stack frame in one of these packages means the write is a log line from the logger. */
const loggerFrame = /[\\/]node_modules[\\/](?:pino|pino-pretty|sonic-boom|thread-stream)[\\/]/;

const file = process.env.CONSOLE_PROBE_FILE;
if (file) install(file);

function install(path: string): void {
  // The originals, captured before anything is patched, so the probe's own records bypass it.
  const writeSync = fs.writeSync.bind(fs);
  const fd = fs.openSync(path, 'a');
  const record = (entry: object) => writeSync(fd, `${JSON.stringify({ pid: process.pid, entry: process.argv[1], ...entry })}\n`);

  const check = (via: string, target: number, data: unknown) => {
    const stack = stackNow();
    if (!loggerFrame.test(stack)) record({ kind: 'write', via, fd: target, text: preview(data), stack });
  };

  for (const [name, target] of [['stdout', 1], ['stderr', 2]] as const) {
    const stream = process[name];
    for (const method of ['write', 'end'] as const) {
      const original = stream[method] as (...args: unknown[]) => unknown;
      Object.defineProperty(stream, method, {
        configurable: true,
        writable: true,
        value: function (this: unknown, ...args: unknown[]) {
          if (args[0] !== undefined && typeof args[0] !== 'function') check(`process.${name}.${method}`, target, args[0]);
          return original.apply(this, args);
        },
      });
    }
  }

  for (const method of ['write', 'writeSync', 'writev', 'writevSync'] as const) {
    const original = fs[method] as (...args: unknown[]) => unknown;
    (fs as unknown as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
      if (args[0] === 1 || args[0] === 2) check(`fs.${method}`, args[0], args[1]);
      return original.apply(this, args);
    };
  }
  // `import { writeSync } from 'node:fs'` binds the named export: bring it up to date too.
  syncBuiltinESMExports();
  record({ kind: 'loaded' });
}

/** The caller's stack, however low the process set Error.stackTraceLimit. */
function stackNow(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error('probe').stack ?? '';
  Error.stackTraceLimit = limit;
  return stack.split('\n').slice(4).join('\n');
}

function preview(data: unknown): string {
  const text = typeof data === 'string' ? data : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString() : String(data);
  return text.slice(0, 200);
}
