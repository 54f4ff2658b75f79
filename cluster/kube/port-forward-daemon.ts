// The detached port-forward process (see port-forward.ts): `node --import tsx port-forward-daemon.ts '<spec json>'`.
// Listens on 127.0.0.1, writes its port to spec.portFile, and runs until it is sent SIGTERM.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { kubeconfigFor } from './kubeconfig.js';
import { serveForward, type ForwardSpec } from './port-forward.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as ForwardSpec;
const server = await serveForward(kubeconfigFor(spec.target), spec, 0, (error) => {
  // For the hub's wait (install.ts), which names the cause instead of a bare socket error; and for the log.
  if (spec.errorFile) fs.appendFileSync(spec.errorFile, `${JSON.stringify(error)}\n`);
  process.stdout.write(`${error.at} connection not carried to ${error.pod ?? '(no pod)'}:${spec.podPort}: ${error.message}\n`);
});
fs.writeFileSync(spec.portFile, String((server.address() as AddressInfo).port));
process.stdout.write(`forwarding 127.0.0.1:${(server.address() as AddressInfo).port} → ${spec.labelSelector} :${spec.podPort} in ${spec.namespace}\n`);
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref(); // open connections do not keep it alive
});
