// For the unit tests beside this file: temporary files, and fake HTTP servers on loopback (or a
// unix socket) that answer as the Kubernetes API, a hub or a Docker engine would.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

export function tempTree(prefix: string, files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** [status, body] for a request, or undefined for 404. A string body is sent as text. */
export type FakeHandler = (method: string, url: string, body: string) => [number, unknown] | undefined;

export interface FakeServer {
  /** http://127.0.0.1:PORT (empty on a unix socket). */
  url: string;
  port: number;
  /** "METHOD /path" of every request, in order. */
  requests: string[];
  close: () => void;
}

export async function fakeServer(handler: FakeHandler, listenOn: number | string = 0): Promise<FakeServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = req.url!.split('?')[0];
      requests.push(`${req.method} ${url}`);
      const [status, payload] = handler(req.method!, url, body) ?? [404, { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 }];
      res.writeHead(status, { 'Content-Type': typeof payload === 'string' ? 'text/plain' : 'application/json' });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    });
  });
  await new Promise<void>((r) => (typeof listenOn === 'string' ? server.listen(listenOn, r) : server.listen(listenOn, '127.0.0.1', r)));
  const port = typeof listenOn === 'string' ? 0 : (server.address() as AddressInfo).port;
  return { url: port ? `http://127.0.0.1:${port}` : '', port, requests, close: () => server.close() };
}

/** A kubeconfig with one context, for a fake (http, so TLS checks are off) or a closed port. */
export function kubeconfigFor(server: string, contexts = ['fake']): string {
  const skipTls = server.startsWith('http:') ? '\n      insecure-skip-tls-verify: true' : '';
  const text = [
    'apiVersion: v1',
    'kind: Config',
    `current-context: ${contexts[0]}`,
    'clusters:',
    `  - name: c\n    cluster:\n      server: ${server}${skipTls}`,
    'users:',
    '  - name: u\n    user:\n      token: test-token-not-secret',
    'contexts:',
    ...contexts.map((c) => `  - name: ${c}\n    context:\n      cluster: c\n      user: u`),
    '',
  ].join('\n');
  return path.join(tempTree('kubeconfig-', { config: text }), 'config');
}
