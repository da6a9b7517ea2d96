import type { NodeId, PeerDirectory } from '@raft/abstractions';
import type { PeerAddress, PeerAddresses } from '../options.js';

function isDirectory(peers: PeerAddresses): peers is PeerDirectory {
  return typeof (peers as Partial<PeerDirectory>).endpointOf === 'function';
}

/** Parses `"host:port"` or `"[v6]:port"`; `undefined` when it is not one. */
export function parseEndpoint(endpoint: string): PeerAddress | undefined {
  if (typeof endpoint !== 'string') return undefined;
  const colon = endpoint.lastIndexOf(':');
  if (colon <= 0) return undefined;
  let host = endpoint.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const portText = endpoint.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  return validAddress({ host, port: Number(portText) });
}

/** Formats an address as an endpoint string, bracketing IPv6 hosts. */
export function formatEndpoint(address: PeerAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

function validAddress(address: unknown): PeerAddress | undefined {
  if (typeof address !== 'object' || address === null) return undefined;
  const { host, port } = address as { host?: unknown; port?: unknown };
  if (typeof host !== 'string' || host.length === 0) return undefined;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  return { host, port };
}

/**
 * The address book, read afresh on every lookup (so a mutable record or a live directory takes
 * effect for the next connection). Membership for inbound handshakes is "has an address here".
 */
export class PeerBook {
  readonly #self: NodeId;
  readonly #peers: PeerAddresses;

  constructor(self: NodeId, peers: PeerAddresses) {
    this.#self = self;
    this.#peers = peers;
  }

  /** Where `nodeId` listens, or `undefined` for this node itself or an unknown or malformed entry. */
  addressOf(nodeId: string): PeerAddress | undefined {
    if (nodeId === this.#self) return undefined;
    try {
      if (isDirectory(this.#peers)) {
        const endpoint = this.#peers.endpointOf(nodeId as NodeId);
        return endpoint === undefined ? undefined : parseEndpoint(endpoint);
      }
      if (!Object.hasOwn(this.#peers, nodeId)) return undefined;
      return validAddress(this.#peers[nodeId]);
    } catch {
      // A directory that throws is treated as not knowing the node.
      return undefined;
    }
  }

  /** `true` when `nodeId` is another member of the cluster (inbound membership check). */
  isPeer(nodeId: string): boolean {
    return this.addressOf(nodeId) !== undefined;
  }
}
