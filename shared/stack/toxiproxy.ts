// Proxies in front of a stack service (or, natively, any address on this machine), through
// toxiproxy's REST API, the same way for both providers: the upstream is what toxiproxy
// reaches, the listener is what clients reach; and toxics added to and removed from a proxy.
// Test files share one toxiproxy, so a proxy takes the first listener nobody uses and
// every test names its proxies uniquely. Every call is bounded (API_TIMEOUT_MS) and its
// failure names the proxy.
import { StackError } from './stack-error.ts';
import type { ProxiedService, ServiceInfo } from './types.ts';

const API_TIMEOUT_MS = 2_000;

export interface CreatedProxy {
  name: string;
  /** Where clients connect to go through the proxy. */
  host: string;
  port: number;
}

type Toxiproxy = ServiceInfo['toxiproxy'];

/**
 * One bounded call; `what` ("adding the timeout toxic … to proxy …") names it in the error,
 * whether the call fails on the way (a timeout, a refused connection) or gets an error status.
 * A 404 passes where the caller says it may (removing what is already gone).
 */
async function api(toxiproxy: Toxiproxy, what: string, method: string, path: string, options: { body?: unknown; allow404?: boolean } = {}): Promise<Response> {
  const { body, allow404 = false } = options;
  const response = await fetch(`${toxiproxy.apiUrl}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(API_TIMEOUT_MS),
  }).catch((error: Error) => {
    throw new StackError(`toxiproxy: ${what} failed: ${error.message}`);
  });
  if (!response.ok && !(allow404 && response.status === 404)) {
    throw new StackError(`toxiproxy: ${what} failed (HTTP ${response.status} ${(await response.text()).trim()})`);
  }
  return response;
}

/** A call whose answer has no body worth reading. */
async function call(...args: Parameters<typeof api>): Promise<void> {
  await (await api(...args)).body?.cancel();
}

/** `url` (a stack service's, credentials and path kept) with its host and port replaced by the proxy's. */
export function proxiedUrl(url: string, proxy: CreatedProxy): string {
  const parsed = new URL(url);
  parsed.hostname = proxy.host;
  parsed.port = String(proxy.port);
  return parsed.toString().replace(/\/$/, '');
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

export async function createProxy(toxiproxy: Toxiproxy, name: string, service: ProxiedService): Promise<CreatedProxy> {
  const upstream = toxiproxy.upstreams[service];
  if (!upstream) throw new StackError(`toxiproxy: the stack has no ${service} to proxy; start it with that service`);
  return createProxyTo(toxiproxy, name, upstream);
}

/**
 * A proxy in front of any TCP address (e.g. an optimizer a test started on 127.0.0.1:PORT),
 * not only a stack service. With the native provider toxiproxy runs on this machine and
 * reaches loopback; a toxiproxy container cannot reach a process on the host.
 */
export async function createProxyTo(toxiproxy: Toxiproxy, name: string, upstream: string): Promise<CreatedProxy> {
  const existing = (await (await api(toxiproxy, 'listing the proxies', 'GET', '/proxies')).json()) as Record<string, { listen: string }>;
  if (existing[name]) throw new StackError(`toxiproxy: a proxy named "${name}" already exists; give each test its own name`);
  const used = new Set(Object.values(existing).map((proxy) => portOf(proxy.listen)));
  let lastError = 'no free listener';
  for (const listener of toxiproxy.listeners) {
    if (used.has(portOf(listener.listen))) continue;
    try {
      await call(toxiproxy, `creating proxy "${name}" on ${listener.listen}`, 'POST', '/proxies', { body: { name, listen: listener.listen, upstream, enabled: true } });
      return { name, host: listener.host, port: listener.port };
    } catch (error) {
      // Another test file may have taken this listener since the GET: try the next one.
      lastError = (error as Error).message.replace(/^toxiproxy: /, '');
    }
  }
  throw new StackError(`toxiproxy: could not create proxy "${name}" to ${upstream} on any of ${toxiproxy.listeners.length} listeners (${lastError})`);
}

export async function deleteProxy(toxiproxy: Toxiproxy, name: string): Promise<void> {
  await call(toxiproxy, `deleting proxy "${name}"`, 'DELETE', `/proxies/${encodeURIComponent(name)}`, { allow404: true });
}

export type ToxicType = 'timeout' | 'latency' | 'reset_peer' | 'limit_data';

export interface Toxic {
  /** Unique within its proxy. */
  name: string;
  type: ToxicType;
  /** downstream: what the proxy sends back to the client; upstream: what it sends on. */
  stream?: 'upstream' | 'downstream';
  /** toxiproxy's attributes: timeout {timeout ms; 0 holds for ever}, latency {latency, jitter ms}, reset_peer {timeout ms}, limit_data {bytes}. */
  attributes: Record<string, number>;
}

/** Adds a toxic to a proxy; existing and new connections get it at once. */
export async function addToxic(toxiproxy: Toxiproxy, proxy: string, toxic: Toxic): Promise<void> {
  const { name, type, stream = 'downstream', attributes } = toxic;
  const body = { name, type, stream, toxicity: 1, attributes };
  await call(toxiproxy, `adding the ${type} toxic "${name}" to proxy "${proxy}"`, 'POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, { body });
}

/** Removes one toxic; a toxic that is not there is not an error. */
export async function removeToxic(toxiproxy: Toxiproxy, proxy: string, toxic: string): Promise<void> {
  await call(toxiproxy, `removing the toxic "${toxic}" from proxy "${proxy}"`, 'DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`, { allow404: true });
}

/** The toxics a proxy has now, as toxiproxy reports them. */
export async function listToxics(toxiproxy: Toxiproxy, proxy: string): Promise<Toxic[]> {
  const response = await api(toxiproxy, `listing the toxics of proxy "${proxy}"`, 'GET', `/proxies/${encodeURIComponent(proxy)}/toxics`);
  return (await response.json()) as Toxic[];
}

/** Disables a proxy (its connections are closed, new ones refused) or enables it again. */
export async function setProxyEnabled(toxiproxy: Toxiproxy, proxy: string, enabled: boolean): Promise<void> {
  await call(toxiproxy, `${enabled ? 'enabling' : 'disabling'} proxy "${proxy}"`, 'POST', `/proxies/${encodeURIComponent(proxy)}`, { body: { enabled } });
}
