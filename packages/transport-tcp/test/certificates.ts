/**
 * Test-time certificates, made with the `openssl` command-line tool (on every machine image this
 * project runs on; `openssl version` is checked first so a missing tool fails with a clear
 * message). Node's `crypto` can make keys but not X.509 certificates, and a hand-written ASN.1
 * encoder would be more code to trust than the tool. EC P-256 keys keep generation fast.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NodeCertificate {
  readonly key: string;
  readonly cert: string;
}

export interface TestPki {
  /** The cluster CA certificate (PEM). */
  readonly ca: string;
  /** A certificate per node, signed by the cluster CA, naming the node in CN, DNS SAN and URI SAN. */
  readonly nodes: Readonly<Record<string, NodeCertificate>>;
  /** A certificate for `n2` signed by an unrelated CA. */
  readonly rogue: NodeCertificate;
  /** Removes the temporary directory. */
  dispose(): void;
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes a CA, node certificates for `nodeIds` in `clusterId`, and a rogue certificate. */
export function makeTestPki(clusterId: string, nodeIds: readonly string[]): TestPki {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch (error) {
    throw new Error('the TLS tests need the openssl command-line tool (apt-get install openssl)', { cause: error });
  }
  const dir = mkdtempSync(join(tmpdir(), 'raft-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const makeCa = (name: string) => openssl(['req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`], dir);
  const makeLeaf = (file: string, cn: string, ca: string) => {
    openssl(['req', ...ec, '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', `/CN=${cn}`], dir);
    writeFileSync(
      join(dir, `${file}.ext`),
      [
        `subjectAltName=DNS:${cn},URI:raft://${clusterId}/node/${cn}`,
        'basicConstraints=CA:FALSE',
        'keyUsage=digitalSignature',
        'extendedKeyUsage=serverAuth,clientAuth',
        '',
      ].join('\n'),
    );
    openssl(
      ['x509', '-req', '-in', `${file}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${file}.crt`, '-days', '2', '-extfile', `${file}.ext`],
      dir,
    );
    return { key: readFileSync(join(dir, `${file}.key`), 'utf8'), cert: readFileSync(join(dir, `${file}.crt`), 'utf8') };
  };
  makeCa('cluster-ca');
  makeCa('rogue-ca');
  const nodes: Record<string, NodeCertificate> = {};
  for (const id of nodeIds) nodes[id] = makeLeaf(id, id, 'cluster-ca');
  const rogue = makeLeaf('rogue-n2', 'n2', 'rogue-ca');
  return {
    ca: readFileSync(join(dir, 'cluster-ca.crt'), 'utf8'),
    nodes,
    rogue,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
