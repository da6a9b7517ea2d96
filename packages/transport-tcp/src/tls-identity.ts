import type { PeerCertificate } from 'node:tls';

/** The node ids a verified certificate vouches for. */
export type IdentitiesOf = (certificate: PeerCertificate) => readonly string[];

/**
 * The default identity rule (reliability §8.2.2): a certificate names a node by its subject CN,
 * a DNS SAN, or a URI SAN `raft://<clusterId>/node/<nodeId>` of this cluster (a URI SAN of
 * another cluster names nothing here).
 */
export function defaultIdentitiesOf(clusterId: string): IdentitiesOf {
  const uriPrefix = `raft://${clusterId}/node/`;
  return (certificate) => {
    const identities: string[] = [];
    const cn = certificate.subject?.CN as string | string[] | undefined;
    if (typeof cn === 'string') identities.push(cn);
    else if (Array.isArray(cn)) identities.push(...cn);
    for (const [kind, value] of subjectAltNames(certificate.subjectaltname)) {
      if (kind === 'DNS') identities.push(value);
      else if (kind === 'URI' && value.startsWith(uriPrefix)) {
        const rest = value.slice(uriPrefix.length);
        if (rest.length > 0 && !rest.includes('/')) identities.push(decodeURIComponentSafe(rest));
      }
    }
    return identities;
  };
}

/**
 * Parses Node's `subjectaltname` string (`"DNS:a, URI:raft://c/node/n1"`). Node quotes a value
 * that contains a comma or other special characters as a JSON string (`DNS:"a,b"`).
 */
export function subjectAltNames(text: string | undefined): [string, string][] {
  const names: [string, string][] = [];
  if (typeof text !== 'string') return names;
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const kind = text.slice(i, colon).trim();
    let value: string;
    let next: number;
    if (text[colon + 1] === '"') {
      // JSON string: find the closing quote that is not escaped.
      let end = colon + 2;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(text.slice(colon + 1, end + 1)) as string;
      } catch {
        value = '';
      }
      next = text.indexOf(',', end + 1);
    } else {
      next = text.indexOf(',', colon + 1);
      value = text.slice(colon + 1, next < 0 ? text.length : next);
    }
    names.push([kind, value]);
    if (next < 0) break;
    i = next + 1;
  }
  return names;
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
