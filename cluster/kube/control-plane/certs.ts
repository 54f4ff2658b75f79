/**
 * The control plane's PKI, made with openssl for one run: a CA, the API server's serving
 * certificate, client certificates (an admin in system:masters; separate identities for the
 * controller-manager, the scheduler, kwok, and the API server's calls to kwok's kubelet port),
 * kwok's serving certificate, and a service-account key pair. Keys are EC P-256 made by Node's
 * crypto (fast on a shared 2-core machine); openssl makes the CA and signs every certificate.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { HarnessError, PrerequisiteError } from '../../errors.js';

export interface CertPair {
  cert: string;
  key: string;
}

export interface ControlPlanePki {
  dir: string;
  ca: CertPair;
  apiserver: CertPair;
  apiserverKubeletClient: CertPair;
  admin: CertPair;
  controllerManager: CertPair;
  scheduler: CertPair;
  kwok: CertPair;
  kwokServing: CertPair;
  serviceAccount: { key: string; pub: string };
}

export interface PkiOptions {
  dir: string;
  runId: string;
  /** Node name, put in kwok's serving certificate. */
  nodeName: string;
  /** First address of the service range (kubernetes.default's ClusterIP), for the API server's SANs. */
  kubernetesServiceIp: string;
}

interface LeafSpec {
  /** File stem under the pki dir. */
  file: string;
  subject: string;
  usage: 'server' | 'client';
  sans?: string[];
}

const validityDays = 7;

/** All certificates and keys of one control plane, under `options.dir` (mode 0700). */
export async function createPki(options: PkiOptions): Promise<ControlPlanePki> {
  await requireOpenssl();
  const dir = options.dir;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { ca, serviceAccount } = pkiPaths(dir);

  writeKey(ca.key);
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      ca.key,
      '-out',
      ca.cert,
      '-days',
      String(validityDays),
      '-config',
      writeConfig(dir, 'ca', caConfig(`nbgrader-e2e-ca-${options.runId}`)),
    ],
    'CA',
  );

  const leaves: LeafSpec[] = [
    {
      file: 'apiserver',
      subject: 'CN=kube-apiserver',
      usage: 'server',
      sans: [
        'IP:127.0.0.1',
        `IP:${options.kubernetesServiceIp}`,
        'DNS:localhost',
        'DNS:kubernetes',
        'DNS:kubernetes.default',
        'DNS:kubernetes.default.svc',
        'DNS:kubernetes.default.svc.cluster.local',
      ],
    },
    { file: 'apiserver-kubelet-client', subject: 'O=system:masters/CN=kube-apiserver-kubelet-client', usage: 'client' },
    { file: 'admin', subject: 'O=system:masters/CN=nbgrader-e2e-admin', usage: 'client' },
    { file: 'controller-manager', subject: 'CN=system:kube-controller-manager', usage: 'client' },
    { file: 'scheduler', subject: 'CN=system:kube-scheduler', usage: 'client' },
    { file: 'kwok', subject: 'CN=kwok-controller', usage: 'client' },
    { file: 'kwok-serving', subject: 'CN=kwok-kubelet', usage: 'server', sans: ['IP:127.0.0.1', 'DNS:localhost', `DNS:${options.nodeName}`] },
  ];
  // Signing is quick; sequential keeps the CA serial file simple.
  for (const leaf of leaves) await signLeaf(dir, ca, leaf);

  const sa = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  fs.writeFileSync(serviceAccount.key, sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  fs.writeFileSync(serviceAccount.pub, sa.publicKey.export({ type: 'spki', format: 'pem' }));

  return pkiPaths(dir);
}

/** Where createPki puts each file (for attaching to a control plane another process started). */
export function pkiPaths(dir: string): ControlPlanePki {
  const pair = (file: string): CertPair => ({ cert: path.join(dir, `${file}.crt`), key: path.join(dir, `${file}.key`) });
  return {
    dir,
    ca: pair('ca'),
    apiserver: pair('apiserver'),
    apiserverKubeletClient: pair('apiserver-kubelet-client'),
    admin: pair('admin'),
    controllerManager: pair('controller-manager'),
    scheduler: pair('scheduler'),
    kwok: pair('kwok'),
    kwokServing: pair('kwok-serving'),
    serviceAccount: { key: path.join(dir, 'sa.key'), pub: path.join(dir, 'sa.pub') },
  };
}

async function requireOpenssl(): Promise<void> {
  const result = await execa('openssl', ['version'], { reject: false, stdin: 'ignore', timeout: 10_000 });
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new PrerequisiteError('pki', '`openssl` not found on PATH; install it (Debian/Ubuntu: apt-get install openssl)');
  }
}

function writeKey(file: string): void {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
}

/** `/O=a/CN=b` → `[dn]` lines. */
function dnLines(subject: string): string {
  return subject
    .split('/')
    .filter(Boolean)
    .map((part) => part.replace('=', ' = '))
    .join('\n');
}

function caConfig(commonName: string): string {
  return [
    '[req]',
    'prompt = no',
    'distinguished_name = dn',
    'x509_extensions = ext',
    '[dn]',
    `CN = ${commonName}`,
    '[ext]',
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, keyCertSign, cRLSign, digitalSignature',
    'subjectKeyIdentifier = hash',
    '',
  ].join('\n');
}

/** Our own minimal config, so that the distribution's openssl.cnf adds no extensions of its own. */
function writeConfig(dir: string, name: string, text: string): string {
  const file = path.join(dir, `${name}.cnf`);
  fs.writeFileSync(file, text);
  return file;
}

async function signLeaf(dir: string, ca: CertPair, leaf: LeafSpec): Promise<void> {
  const key = path.join(dir, `${leaf.file}.key`);
  const csr = path.join(dir, `${leaf.file}.csr`);
  const cert = path.join(dir, `${leaf.file}.crt`);
  writeKey(key);
  const ext = [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    `extendedKeyUsage = ${leaf.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
    'authorityKeyIdentifier = keyid',
    ...(leaf.sans ? [`subjectAltName = ${leaf.sans.join(', ')}`] : []),
  ];
  const config = writeConfig(
    dir,
    leaf.file,
    ['[req]', 'prompt = no', 'distinguished_name = dn', '[dn]', dnLines(leaf.subject), '[ext]', ...ext, ''].join('\n'),
  );
  await openssl(['req', '-new', '-key', key, '-out', csr, '-config', config], leaf.file);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-set_serial',
      `0x${crypto.randomBytes(12).toString('hex')}`,
      '-days',
      String(validityDays),
      '-extfile',
      config,
      '-extensions',
      'ext',
      '-out',
      cert,
    ],
    leaf.file,
  );
  fs.rmSync(csr, { force: true });
}

async function openssl(args: string[], what: string): Promise<void> {
  const result = await execa('openssl', args, { reject: false, stdin: 'ignore', timeout: 30_000 });
  if (result.failed) {
    throw new HarnessError('pki', `openssl ${args[0]} for ${what} failed (exit ${result.exitCode})`, String(result.stderr).slice(-2000));
  }
}

export interface KubeconfigSpec {
  file: string;
  server: string;
  caFile: string;
  client: CertPair;
  /** Context, cluster and user name. */
  contextName: string;
  userName: string;
}

/**
 * A kubeconfig that points at the certificate files by absolute path (nothing secret is copied
 * into it, so removing the pki dir makes it useless).
 */
export function writeKubeconfig(spec: KubeconfigSpec): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: spec.contextName, cluster: { server: spec.server, 'certificate-authority': spec.caFile } }],
    users: [{ name: spec.userName, user: { 'client-certificate': spec.client.cert, 'client-key': spec.client.key } }],
    contexts: [{ name: spec.contextName, context: { cluster: spec.contextName, user: spec.userName } }],
    'current-context': spec.contextName,
    preferences: {},
  };
  fs.mkdirSync(path.dirname(spec.file), { recursive: true });
  fs.writeFileSync(spec.file, stringify(doc), { mode: 0o600 });
  return spec.file;
}

/** For errors: which of the PKI files is missing. */
export function assertPkiComplete(pki: ControlPlanePki): void {
  const files = [pki.ca, pki.apiserver, pki.apiserverKubeletClient, pki.admin, pki.controllerManager, pki.scheduler, pki.kwok, pki.kwokServing]
    .flatMap((p) => [p.cert, p.key])
    .concat([pki.serviceAccount.key, pki.serviceAccount.pub]);
  const missing = files.filter((f) => !fs.existsSync(f));
  if (missing.length > 0) throw new HarnessError('pki', `missing ${missing.join(', ')}`);
}
