/** A real control plane on a real uWS socket on 127.0.0.1, with helpers to call it. */
import { Agent } from 'undici';
import { uws, type UWS } from '../../../gateway/uws.ts';
import { createLogger } from '../../../gateway/logger.ts';
import { hashPassword } from '../../../control/auth/password.ts';
import { createControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../../control/control-plane.ts';
import { attachControlPlane } from '../../../gateway/http/attach-control-plane.ts';
import type { UpgradeGuard } from '../../../control/http/upgrade-guard.ts';
import type { Role } from '../../../control/repositories/users.ts';
import { testDatabase, type TestDatabase, type TestEngine } from './database.ts';

/** Cheap hashing and generous limits, so tests are fast unless they test those limits. */
export const TEST_ENV: Record<string, string> = {
  PASSWORD_HASH_LN: '12',
  RATE_LIMIT_AUTH: '10000/min',
  RATE_LIMIT_CHAT: '10000/min',
  RATE_LIMIT_DEFAULT: '10000/min',
  RATE_LIMIT_TTS: '10000/min',
};

export const PASSWORD = 'correct horse battery staple';

export interface CallOptions {
  token?: string;
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

export interface TestControl {
  cp: ControlPlane;
  db: TestDatabase;
  base: string;
  port: number;
  call(method: string, path: string, opts?: CallOptions): Promise<{ status: number; headers: Headers; body: any; text: string }>;
  /** fetch(base + path) over this control plane's own client connections, which stop() closes. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Create a user directly in the database and log them in; returns the access token. */
  userToken(username: string, role: Role): Promise<string>;
  login(username: string, password?: string): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export async function startControl(
  env: Record<string, string> = {},
  /**
   * `db`: a database the caller owns (and cleans up); `engine`: a fresh one on that engine, cleaned
   * up by stop(); `upgradeGuard`: the server's failed-upgrade budget (default: one at the default limit).
   */
  opts: { db?: TestDatabase; engine?: TestEngine; options?: Partial<ControlPlaneOptions>; upgradeGuard?: UpgradeGuard } = {},
): Promise<TestControl> {
  const db = opts.db ?? (await testDatabase(opts.engine));
  const cp = await createControlPlane({
    dataDir: db.dataDir,
    databaseUrl: db.databaseUrl,
    pgSchema: db.pgSchema,
    log: createLogger('silent'),
    env: { ...TEST_ENV, ...env },
    ...opts.options,
  });
  const app = uws.App();
  attachControlPlane(app, cp, { upgradeGuard: opts.upgradeGuard });
  let listenSocket: UWS.us_listen_socket | null = null;
  const port = await new Promise<number>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (s) => {
      if (!s) return reject(new Error('listen failed'));
      listenSocket = s;
      resolve(uws.us_socket_local_port(s as unknown as UWS.us_socket));
    }),
  );
  const base = `http://127.0.0.1:${port}`;
  // The test's requests get a connection pool of their own, closed by stop(): uWS keeps a closed
  // listener's keep-alive connections open, and the global pool would hold each idle one (and so
  // the test process) for its 4 s keep-alive timeout after the last test.
  const dispatcher = new Agent();
  const clientFetch: TestControl['fetch'] = (p, init) => fetch(base + p, { ...init, dispatcher } as RequestInit);
  const call: TestControl['call'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | Buffer | undefined = o.rawBody;
    if (o.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(o.body);
    }
    const res = await clientFetch(path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  const login: TestControl['login'] = async (username, password = PASSWORD) => {
    const r = await call('POST', '/admin/auth/login', { body: { username, password } });
    return { status: r.status, body: r.body };
  };
  return {
    cp,
    db,
    base,
    port,
    call,
    fetch: clientFetch,
    login,
    async userToken(username, role) {
      await cp.repos.users.create({ username, role, password_hash: await hashPassword(PASSWORD, { ln: 12, r: 8, p: 1 }) });
      const r = await login(username);
      if (r.status !== 200) throw new Error(`login failed: ${JSON.stringify(r.body)}`);
      return r.body.access_token as string;
    },
    async stop() {
      if (listenSocket) uws.us_listen_socket_close(listenSocket);
      listenSocket = null;
      await dispatcher.close();
      await cp.close();
      if (!opts.db) await db.cleanup();
    },
  };
}
