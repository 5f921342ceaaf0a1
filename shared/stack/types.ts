// The contract every stack provider fulfils: the same shape whether the servers run as
// containers or as native child processes, so tests never care which one they got.

export type ProviderName = 'containers' | 'native';
export type ServiceName = 'redis' | 'rabbitmq' | 'minio' | 'toxiproxy';

export interface StackInfo {
  provider: ProviderName;
  redis: { url: string };
  rabbitmq: { url: string };
  minio: { endpoint: string; accessKey: string; secretKey: string };
  toxiproxy: { apiUrl: string };
}

export interface Stack extends StackInfo {
  /** Stops every server and removes its temp dir; safe to call twice. */
  stop(): Promise<void>;
}

export interface StackOptions {
  provider?: ProviderName | 'auto';
  services?: ServiceName[];
  /** Called with one line per step ("redis ready on 127.0.0.1:41234 in 80 ms"). */
  onProgress?: (line: string) => void;
}
