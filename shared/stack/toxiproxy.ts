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

async function api(toxiproxy: Toxiproxy, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${toxiproxy.apiUrl}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(API_TIMEOUT_MS),
  });
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
  const existing = (await (await api(toxiproxy, 'GET', '/proxies')).json()) as Record<string, { listen: string }>;
  if (existing[name]) throw new StackError(`toxiproxy: a proxy named "${name}" already exists; give each test its own name`);
  const used = new Set(Object.values(existing).map((proxy) => portOf(proxy.listen)));
  let lastError = 'no free listener';
  for (const listener of toxiproxy.listeners) {
    if (used.has(portOf(listener.listen))) continue;
    const response = await api(toxiproxy, 'POST', '/proxies', { name, listen: listener.listen, upstream, enabled: true });
    if (response.ok) {
      await response.body?.cancel();
      return { name, host: listener.host, port: listener.port };
    }
    // Another test file may have taken this listener since the GET: try the next one.
    lastError = `HTTP ${response.status} ${(await response.text()).trim()}`;
  }
  throw new StackError(`toxiproxy: could not create proxy "${name}" to ${upstream} on any of ${toxiproxy.listeners.length} listeners (${lastError})`);
}

export async function deleteProxy(toxiproxy: Toxiproxy, name: string): Promise<void> {
  const response = await api(toxiproxy, 'DELETE', `/proxies/${encodeURIComponent(name)}`);
  await response.body?.cancel();
  if (!response.ok && response.status !== 404) throw new StackError(`toxiproxy: could not delete proxy "${name}" (HTTP ${response.status})`);
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
  const response = await api(toxiproxy, 'POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, { name, type, stream, toxicity: 1, attributes }).catch((error: Error) => {
    throw new StackError(`toxiproxy: adding the ${type} toxic "${name}" to proxy "${proxy}" failed: ${error.message}`);
  });
  if (!response.ok) throw new StackError(`toxiproxy: could not add the ${type} toxic "${name}" to proxy "${proxy}" (HTTP ${response.status} ${(await response.text()).trim()})`);
  await response.body?.cancel();
}

/** Removes one toxic; a toxic that is not there is not an error. */
export async function removeToxic(toxiproxy: Toxiproxy, proxy: string, toxic: string): Promise<void> {
  const response = await api(toxiproxy, 'DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`).catch((error: Error) => {
    throw new StackError(`toxiproxy: removing the toxic "${toxic}" from proxy "${proxy}" failed: ${error.message}`);
  });
  await response.body?.cancel();
  if (!response.ok && response.status !== 404) throw new StackError(`toxiproxy: could not remove the toxic "${toxic}" from proxy "${proxy}" (HTTP ${response.status})`);
}

/** The toxics a proxy has now, as toxiproxy reports them. */
export async function listToxics(toxiproxy: Toxiproxy, proxy: string): Promise<Toxic[]> {
  const response = await api(toxiproxy, 'GET', `/proxies/${encodeURIComponent(proxy)}/toxics`).catch((error: Error) => {
    throw new StackError(`toxiproxy: listing the toxics of proxy "${proxy}" failed: ${error.message}`);
  });
  if (!response.ok) throw new StackError(`toxiproxy: could not list the toxics of proxy "${proxy}" (HTTP ${response.status})`);
  return (await response.json()) as Toxic[];
}

/** Disables a proxy (its connections are closed, new ones refused) or enables it again. */
export async function setProxyEnabled(toxiproxy: Toxiproxy, proxy: string, enabled: boolean): Promise<void> {
  const response = await api(toxiproxy, 'POST', `/proxies/${encodeURIComponent(proxy)}`, { enabled }).catch((error: Error) => {
    throw new StackError(`toxiproxy: ${enabled ? 'enabling' : 'disabling'} proxy "${proxy}" failed: ${error.message}`);
  });
  if (!response.ok) throw new StackError(`toxiproxy: could not ${enabled ? 'enable' : 'disable'} proxy "${proxy}" (HTTP ${response.status} ${(await response.text()).trim()})`);
  await response.body?.cancel();
}
