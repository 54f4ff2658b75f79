/**
 * A small typed client for the JupyterHub REST API (the endpoints the harness uses).
 * Authenticates with `Authorization: token …`; errors never contain the token.
 */
import { HarnessError } from './errors.js';
import { registerSecret } from './redact.js';
import { waitFor } from './wait.js';

export interface HubServer {
  name: string;
  ready: boolean;
  pending: string | null;
  url: string;
  started?: string;
  /** Spawner state; readable with the admin:server_state scope (the local spawner stores its pid). */
  state?: Record<string, unknown>;
}

export interface HubUser {
  name: string;
  admin: boolean;
  servers?: Record<string, HubServer>;
}

export class HubClient {
  constructor(
    /** e.g. http://127.0.0.1:8000/hub/api */
    readonly apiUrl: string,
    private readonly token: string,
    private readonly requestTimeoutMs = 15_000,
  ) {}

  private async request(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const url = `${this.apiUrl.replace(/\/$/, '')}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { Authorization: `token ${this.token}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      // The path as sent (GET /hub/api/), not relative to the API base (GET /).
      throw new HarnessError('hub', `${method} ${new URL(url).pathname} failed: ${cause}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.status, json };
  }

  private async call<T>(method: string, path: string, okStatuses: number[], body?: unknown): Promise<T> {
    const { status, json } = await this.request(method, path, body);
    if (!okStatuses.includes(status)) {
      const message = (json as { message?: string } | undefined)?.message ?? JSON.stringify(json ?? '');
      throw new HarnessError('hub', `${method} ${path} returned ${status}: ${message.slice(0, 300)}`);
    }
    return json as T;
  }

  /** GET /hub/api/ : the hub's version; also the readiness probe. */
  async info(): Promise<{ version: string }> {
    return this.call('GET', '/', [200]);
  }

  async getUser(name: string): Promise<HubUser | undefined> {
    const { status, json } = await this.request('GET', `/users/${encodeURIComponent(name)}`);
    if (status === 404) return undefined;
    if (status !== 200) throw new HarnessError('hub', `GET /users/${name} returned ${status}`);
    return json as HubUser;
  }

  /** Create the user, or leave an existing one as it is (idempotent). */
  async ensureUser(name: string, options: { admin?: boolean } = {}): Promise<HubUser> {
    const existing = await this.getUser(name);
    if (existing) return existing;
    const created = await this.call<HubUser>('POST', `/users/${encodeURIComponent(name)}`, [201], {
      admin: options.admin ?? false,
    });
    return created;
  }

  async deleteUser(name: string): Promise<void> {
    await this.call('DELETE', `/users/${encodeURIComponent(name)}`, [204, 404]);
  }

  /** Ask the hub to start the user's default server (201 started, 202 pending, 400 already running). */
  async startServer(name: string): Promise<void> {
    const { status, json } = await this.request('POST', `/users/${encodeURIComponent(name)}/server`);
    if (status === 201 || status === 202) return;
    const message = (json as { message?: string } | undefined)?.message ?? '';
    if (status === 400 && /already running/i.test(message)) return;
    throw new HarnessError('hub', `starting ${name}'s server returned ${status}: ${message}`);
  }

  async stopServer(name: string): Promise<void> {
    await this.call('DELETE', `/users/${encodeURIComponent(name)}/server`, [202, 204, 400, 404]);
  }

  /**
   * Wait until the user's server is ready. Fails early when the hub reports the spawn as failed
   * (no server and nothing pending after it had started).
   */
  async awaitServerReady(name: string, timeoutMs: number, failFast?: () => void | Promise<void>): Promise<HubServer> {
    return waitFor(
      async () => {
        const user = await this.getUser(name);
        const server = user?.servers?.[''];
        if (!server) throw new Error('no server and nothing pending (the spawn failed or was never asked for)');
        if (server.ready) return server;
        throw new Error(`pending: ${server.pending ?? 'none'}`);
      },
      { what: `${name}'s server`, timeoutMs, intervalMs: 300, failFast },
    );
  }

  /** A new API token of `name` (to act as that user), with its id (to delete it). Expires on its own. */
  async createToken(name: string, note: string, expiresIn = 3600): Promise<{ token: string; id: string }> {
    const minted = await this.call<{ token: string; id: string }>('POST', `/users/${encodeURIComponent(name)}/tokens`, [200, 201], {
      note,
      expires_in: expiresIn,
    });
    registerSecret(minted.token);
    return minted;
  }

  async deleteToken(name: string, id: string): Promise<void> {
    await this.call('DELETE', `/users/${encodeURIComponent(name)}/tokens/${encodeURIComponent(id)}`, [204, 404]);
  }
}
