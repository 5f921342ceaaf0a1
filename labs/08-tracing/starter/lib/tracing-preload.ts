// Loaded with `node --import` before each process's entry: preload.json, at the root of the
// service, names it, and both npm start and the test harness read that file. Code here runs
// before api/server.ts (or optimizer/server.ts, worker/worker.ts) imports anything.
//
// TODO (lab 08): nothing is traced. Start OpenTelemetry here, before the app's modules are
// imported (the README's "Key concepts" says why ESM needs more than an import of the SDK).
export {};
