// The contract every stack provider fulfils: the same shape whether the servers run as
// containers or as native child processes, so tests never care which one they got.

export type ProviderName = 'containers' | 'native';
export type ServiceName = 'redis' | 'rabbitmq' | 'minio' | 'toxiproxy';
/** The services a toxiproxy proxy can stand in front of. */
export type ProxiedService = Exclude<ServiceName, 'toxiproxy'>;

export interface ServiceInfo {
  redis: { url: string };
  rabbitmq: { url: string };
  minio: { endpoint: string; accessKey: string; secretKey: string };
  toxiproxy: {
    apiUrl: string;
    /** Where toxiproxy itself reaches each started service: a container alias or a loopback port. */
    upstreams: Partial<Record<ProxiedService, string>>;
    /** Addresses a proxy may listen on (`listen`, sent to toxiproxy) and where clients then connect. */
    listeners: { listen: string; host: string; port: number }[];
  };
}

/** Plain JSON: only the services that were started are present. */
export type StackInfo<S extends ServiceName = ServiceName> = { provider: ProviderName } & Pick<ServiceInfo, S>;

export type Stack<S extends ServiceName = ServiceName> = StackInfo<S> & {
  /** Stops every server and removes its temp dir; safe to call twice. */
  stop(): Promise<void>;
};

export interface StackOptions<S extends ServiceName = ServiceName> {
  provider?: ProviderName | 'auto';
  services?: readonly S[];
  /** Called with one line per step ("redis ready on 127.0.0.1:41234 in 80 ms"). */
  onProgress?: (line: string) => void;
}
