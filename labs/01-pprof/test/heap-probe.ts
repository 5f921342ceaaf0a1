// Preloaded into the optimizer (node --import) by 01.heap-profile: each POST /optimize leaves
// objects alive, allocated by a function of ours, which a profile of the live heap shows only
// if the sampling heap profiler was already running when the upload came in.
import { subscribe } from 'node:diagnostics_channel';

const keptUploads = 4; // the last few uploads' objects stay alive; older ones may go
const kept: unknown[][] = [];

subscribe('http.server.request.start', (message) => {
  const { request } = message as { request: { url?: string } };
  if (!request.url?.startsWith('/optimize')) return;
  kept.push(heldByHeapProbe());
  if (kept.length > keptUploads) kept.shift();
});

// About 3 MB of small objects per upload: several samples at one per 512 KiB.
function heldByHeapProbe(): unknown[] {
  return Array.from({ length: 100_000 }, (_, i) => ({ i }));
}
