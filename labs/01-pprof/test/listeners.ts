// Where a process's TCP listeners are bound, read from the kernel (/proc/net/tcp and tcp6),
// not from anything the service says about itself. Linux only; elsewhere `null`.
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

const LISTEN = '0A'; // TCP state code in /proc/net/tcp

/** The local addresses of `pid`'s LISTEN sockets on `port` ("127.0.0.1", "::", …), or null off Linux. */
export function listenAddresses(pid: number, port: number): string[] | null {
  if (!existsSync('/proc/net/tcp')) return null;
  const inodes = socketInodes(pid);
  const addresses: string[] = [];
  for (const [file, decode] of [['/proc/net/tcp', ipv4], ['/proc/net/tcp6', ipv6]] as const) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1], fields[3], fields[9]];
      if (!local || state !== LISTEN || !inode || !inodes.has(inode)) continue;
      const [hexAddress, hexPort] = local.split(':');
      if (parseInt(hexPort!, 16) === port) addresses.push(decode(hexAddress!));
    }
  }
  return addresses;
}

/** Inodes of the sockets `pid` holds open (its /proc/<pid>/fd links read "socket:[inode]"). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // the descriptor closed between readdir and readlink
    }
  }
  return inodes;
}

// The kernel prints each 32-bit word of an address in host (little-endian) byte order.
function wordBytes(hex: string): number[] {
  const bytes = hex.match(/../g)!.map((pair) => parseInt(pair, 16));
  return [bytes[3]!, bytes[2]!, bytes[1]!, bytes[0]!];
}

function ipv4(hex: string): string {
  return wordBytes(hex).join('.');
}

function ipv6(hex: string): string {
  const bytes = hex.match(/.{8}/g)!.flatMap(wordBytes);
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}
