// A server that answers at once but freezes for STALL_MS every PERIOD_MS, the first freeze
// STALL_MS after it is ready (or, with "first-request", after the first request arrives, so
// that a run of whole periods always meets whole freezes) — a stop-the-world pause such as a
// long GC or a synchronous loop. It blocks its own event loop, so it must run in a process of
// its own (see stalling.ts). Its "own" timing, measured from when the handler runs, never
// sees a freeze: requests that arrive during one wait in the socket before any handler runs.
//
//   node stalling-server.ts [STALL_MS=1000] [PERIOD_MS=2000] [ready|first-request]
// prints "stalling-server ready <port>", and answers the IPC message "stats" with
// { count, median, max } of its own service times in ms, the connections it accepted and the
// most it had open at once.
import { createServer } from 'node:http';

const stallMs = Number(process.argv[2] ?? 1000);
const periodMs = Number(process.argv[3] ?? 2000);
const fromFirstRequest = process.argv[4] === 'first-request';
const serviceTimes: number[] = [];
let connections = 0;
let open = 0;
let maxOpen = 0;
let scheduled = false;

function schedule(): void {
  scheduled = true;
  setTimeout(() => {
    freeze();
    setInterval(freeze, periodMs);
  }, stallMs);
}

const server = createServer((req, res) => {
  const started = performance.now();
  if (fromFirstRequest && !scheduled) schedule();
  req.resume();
  req.once('end', () => {
    res.end('ok');
    serviceTimes.push(performance.now() - started);
  });
});
server.on('connection', (socket) => {
  connections++;
  maxOpen = Math.max(maxOpen, ++open);
  socket.once('close', () => open--);
});

function freeze(): void {
  const until = performance.now() + stallMs;
  while (performance.now() < until) {
    // Busy on purpose: nothing else in this process runs until the freeze ends.
  }
}

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`stalling-server ready ${typeof address === 'object' && address ? address.port : 0}`);
  if (!fromFirstRequest) schedule();
});

process.on('message', (message) => {
  if (message !== 'stats') return;
  const sorted = [...serviceTimes].sort((a, b) => a - b);
  process.send!({ count: sorted.length, median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted.at(-1) ?? 0, connections, maxOpen });
});
process.on('disconnect', () => process.exit(0));
