// Lab 01's test helpers: ask an admin port with a bounded wait and a readable failure, decode
// the pprof answer, and rank functions by self time. Used by this folder's tests only.
import { connect } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { expect } from 'vitest';

export interface AdminAnswer {
  status: number;
  headers: Headers;
  body: Buffer;
}

/**
 * GET `url` on an admin port, failing with one line that says what to do: "connection refused:
 * the optimizer has no admin server yet", or no answer within `timeoutMs`.
 */
export async function adminGet(url: string, service: string, timeoutMs: number): Promise<AdminAnswer> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (code === 'ECONNREFUSED') {
      expect.fail(`GET ${url} → connection refused: the ${service} has no admin server on ${service.toUpperCase()}_ADMIN_PORT yet (lib/admin-server.ts)`);
    }
    if (error instanceof DOMException && error.name === 'TimeoutError') {
      expect.fail(`GET ${url} → no complete answer within ${timeoutMs / 1000} s`);
    }
    expect.fail(`GET ${url} failed: ${error instanceof Error ? error.message : String(error)}${code ? ` (${code})` : ''}`);
  }
}

/** The answer's body as text, for a failure message. */
export function excerpt(answer: AdminAnswer): string {
  return answer.body.toString('utf8', 0, 200).replace(/\s+/g, ' ').trim();
}

export interface DecodedProfile {
  profile: Profile;
  /** "type/unit" of each sample type, e.g. "wall/nanoseconds", "inuse_space/bytes". */
  sampleTypes: string[];
  str(index: unknown): string;
}

/** Gunzips and decodes a pprof profile, failing with what is wrong with the bytes. */
export function decodeProfile(body: Buffer, what: string): DecodedProfile {
  if (body.length < 2 || body[0] !== 0x1f || body[1] !== 0x8b) {
    expect.fail(`${what} is not gzipped (${body.length} bytes starting ${body.subarray(0, 8).toString('hex') || 'with nothing'}): pprof profiles travel as gzipped protobuf, and encode() from @datadog/pprof gzips them`);
  }
  let profile: Profile;
  try {
    profile = Profile.decode(gunzipSync(body));
  } catch (error) {
    expect.fail(`${what} is gzipped but not a pprof protobuf: ${error instanceof Error ? error.message : String(error)}`);
  }
  const strings = profile.stringTable.strings;
  const str = (index: unknown) => strings[Number(index)] ?? '';
  return { profile, sampleTypes: profile.sampleType.map((type) => `${str(type.type)}/${str(type.unit)}`), str };
}

/** Sum of one sample type's values over all samples. */
export function total({ profile }: DecodedProfile, typeIndex: number): number {
  return profile.sample.reduce((sum, sample) => sum + Number(sample.value[typeIndex] ?? 0), 0);
}

/** The index of the sample type that measures time (cpu, else wall), or -1. */
export function timeTypeIndex(decoded: DecodedProfile): number {
  const cpu = decoded.sampleTypes.indexOf('cpu/nanoseconds');
  return cpu >= 0 ? cpu : decoded.sampleTypes.findIndex((type) => type.endsWith('/nanoseconds'));
}

export interface SelfTime {
  name: string;
  file: string;
  ms: number;
}

// V8's pseudo-frames and the ones @datadog/pprof adds: not functions of the service.
const notFunctions = new Set(['(idle)', '(program)', '(garbage collector)', 'Garbage Collection', 'Non JS threads activity', 'Node.js', '(root)']);

const garbageCollection = new Set(['(garbage collector)', 'Garbage Collection']);

/** Functions ranked by self time (the leaf frame of each sample), most first, pseudo-frames left out. */
export function selfTimeRanking(decoded: DecodedProfile): SelfTime[] {
  return leafTimes(decoded).filter((entry) => !notFunctions.has(entry.name));
}

/** Milliseconds the samples spent collecting garbage. */
export function garbageCollectionMs(decoded: DecodedProfile): number {
  return leafTimes(decoded).filter((entry) => garbageCollection.has(entry.name)).reduce((sum, entry) => sum + entry.ms, 0);
}

/** Self time of every leaf frame, pseudo-frames included, most first. */
function leafTimes(decoded: DecodedProfile): SelfTime[] {
  const { profile, str } = decoded;
  const typeIndex = timeTypeIndex(decoded);
  const functions = new Map(profile.function.map((fn) => [Number(fn.id), { name: str(fn.name), file: str(fn.filename) }]));
  const locations = new Map(profile.location.map((location) => [Number(location.id), location]));
  const byFunction = new Map<string, SelfTime>();
  for (const sample of profile.sample) {
    const leaf = locations.get(Number(sample.locationId[0]));
    // A location may hold inlined frames; the first line is the innermost one.
    const fn = leaf && functions.get(Number(leaf.line[0]?.functionId));
    if (!fn) continue;
    const key = `${fn.name}\0${fn.file}`;
    const entry = byFunction.get(key) ?? { ...fn, ms: 0 };
    entry.ms += Number(sample.value[typeIndex] ?? 0) / 1e6;
    byFunction.set(key, entry);
  }
  return [...byFunction.values()].sort((a, b) => b.ms - a.ms);
}

/** Whether `file` (a profile's file name) is the service's own code: inside `treeDir`, outside node_modules. */
export function isOwnCode(file: string, treeDir: string): boolean {
  const path = file.replace(/^file:\/\//, '');
  return path.startsWith(`${treeDir}/`) && !path.includes('/node_modules/');
}

/** The samples with a frame of function `name` anywhere in their stack. */
export function samplesThrough(decoded: DecodedProfile, name: string): Profile['sample'] {
  const { profile, str } = decoded;
  const named = new Set(profile.function.filter((fn) => str(fn.name) === name).map((fn) => Number(fn.id)));
  const through = new Set(profile.location.filter((location) => location.line.some((line) => named.has(Number(line.functionId)))).map((location) => Number(location.id)));
  return profile.sample.filter((sample) => sample.locationId.some((id) => through.has(Number(id))));
}

/** "pickTextColour (optimizer/colour-sampler.ts) 752 ms" */
export function describeSelfTime({ name, file, ms }: SelfTime): string {
  const shortFile = file.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
  return `${name}${shortFile ? ` (${shortFile})` : ''} ${ms.toFixed(0)} ms`;
}

/** How a TCP connection to host:port ends: connected, or the error code (ECONNREFUSED, TIMEOUT…). */
export function tryConnect(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (outcome: string) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => done('TIMEOUT'));
    socket.once('connect', () => done('connected'));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}
