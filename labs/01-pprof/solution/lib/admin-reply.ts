// What an admin route is and how it answers: the shape every topic's route module shares,
// so the admin server stays one table and a lab adds a route by adding a module.

export interface AdminReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

export interface AdminRoute {
  path: string;
  /** One line in the index page. */
  description: string;
  /** The reply, or null when the client went away first (nothing is sent). */
  handle(url: URL, signal: AbortSignal): Promise<AdminReply | null>;
}

export function text(status: number, message: string): AdminReply {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${message}\n` };
}

/** Figures read fresh on every request, pretty-printed for curl. */
export function json(value: unknown): AdminReply {
  return { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: `${JSON.stringify(value, null, 2)}\n` };
}
