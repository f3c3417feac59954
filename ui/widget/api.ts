/**
 * The gateway's visitor API (docs/channels.md, "Website widget") as the widget uses it. The
 * visitor token lives in the host page's localStorage under the widget's id, so a reload keeps the
 * conversation; it opens that one conversation and nothing else. Errors come back as ApiError with
 * the server's code, so the panel can say in words what happened.
 */

export interface WidgetConfig {
  greeting: string | null;
  language: 'auto' | 'ru' | 'en';
  colors: { primary: string; primary_text: string; background: string; text: string };
  position: 'bottom-right' | 'bottom-left';
  voice: boolean;
  max_message_chars: number;
}

export interface VisitorMessage {
  id: number;
  role: 'user' | 'assistant';
  content: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterS = 0,
  ) {
    super(message);
  }
}

interface Stored {
  token: string;
  renew_until: string;
}

export class VisitorApi {
  readonly #gateway: string;
  readonly #root: string;
  readonly #key: string;
  #token: string | null = null;

  constructor(gatewayOrigin: string, readonly widget: string) {
    this.#gateway = gatewayOrigin;
    this.#root = `${gatewayOrigin}/widget/v1/${encodeURIComponent(widget)}`;
    this.#key = `voice-gateway-widget:${widget}`;
    const stored = this.#load();
    if (stored && Date.parse(stored.renew_until) > Date.now()) this.#token = stored.token;
  }

  get hasSession(): boolean {
    return this.#token !== null;
  }

  config(): Promise<WidgetConfig> {
    return this.#json('GET', '/config');
  }

  /** The stored conversation, with a fresh token; false when there is none to restore. */
  async restore(): Promise<VisitorMessage[] | null> {
    if (!(await this.#renew())) return null;
    return (await this.#json<{ items: VisitorMessage[] }>('GET', '/messages', undefined, true)).items;
  }

  /** A fresh token for the stored session; false (and forgotten) when the session cannot be renewed. */
  async #renew(): Promise<boolean> {
    if (!this.#token) return false;
    try {
      this.#save(await this.#json('POST', '/sessions/renew', { token: this.#token }));
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        this.#forget();
        return false;
      }
      throw err;
    }
  }

  /** Run `call` with a session; an expired token is renewed and a session gone replaced, once. */
  async #withSession<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (!this.#token) this.#save(await this.#json('POST', '/sessions', {}));
      try {
        return await call();
      } catch (err) {
        if (attempt === 0 && err instanceof ApiError && (err.code === 'visitor_token_expired' || err.code === 'session_gone')) {
          if (err.code === 'session_gone' || !(await this.#renew().catch(() => false))) this.#forget();
          continue;
        }
        throw err;
      }
    }
  }

  /** A one-call token for the voice WebSocket, and its URL on the gateway. */
  voiceToken(): Promise<{ token: string; url: string }> {
    return this.#withSession(async () => {
      const { token, path } = await this.#json<{ token: string; path: string }>('POST', '/voice-token', {}, true);
      return { token, url: this.#gateway.replace(/^http/, 'ws') + path };
    });
  }

  /** Send a message; `onDelta` gets the reply as it streams. Starts a session first if there is none. */
  send(content: string, onDelta: (text: string) => void): Promise<{ message: VisitorMessage; truncated: boolean }> {
    return this.#withSession(() => this.#stream(content, onDelta));
  }

  async #stream(content: string, onDelta: (text: string) => void): Promise<{ message: VisitorMessage; truncated: boolean }> {
    const res = await this.#fetch('POST', '/messages', { content }, true);
    if (!res.ok) throw await errorOf(res);
    if (!res.body) throw new ApiError(0, 'network', 'no body');
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value, { stream: !done });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event || data === undefined) continue;
        const payload = JSON.parse(data);
        if (event === 'delta') onDelta(String(payload.text ?? ''));
        else if (event === 'done') return { message: payload.message, truncated: payload.truncated === true };
        else if (event === 'error') throw new ApiError(200, String(payload.code), String(payload.message));
      }
      if (done) throw new ApiError(0, 'network', 'the reply stopped');
    }
  }

  async #json<T>(method: string, path: string, body?: unknown, auth = false): Promise<T> {
    const res = await this.#fetch(method, path, body, auth);
    if (!res.ok) throw await errorOf(res);
    return (await res.json()) as T;
  }

  async #fetch(method: string, path: string, body: unknown, auth: boolean): Promise<Response> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth && this.#token) headers.Authorization = `Bearer ${this.#token}`;
    try {
      return await fetch(this.#root + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', mode: 'cors' });
    } catch {
      // A refused preflight looks like a network failure to the page; the config route says why (no preflight).
      if (path !== '/config') await this.config();
      throw new ApiError(0, 'network', 'the gateway could not be reached');
    }
  }

  #load(): Stored | null {
    try {
      const raw = localStorage.getItem(this.#key);
      return raw ? (JSON.parse(raw) as Stored) : null;
    } catch {
      return null; // storage blocked (private mode, sandboxed frame): the conversation lasts as long as the page
    }
  }

  #save(issued: Stored): void {
    this.#token = issued.token;
    try {
      localStorage.setItem(this.#key, JSON.stringify({ token: issued.token, renew_until: issued.renew_until }));
    } catch {
      /* kept in memory only */
    }
  }

  #forget(): void {
    this.#token = null;
    try {
      localStorage.removeItem(this.#key);
    } catch {
      /* nothing stored */
    }
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  let code = 'http_' + res.status;
  let message = res.statusText;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    /* not our JSON */
  }
  return new ApiError(res.status, code, message, Number(res.headers.get('Retry-After')) || 0);
}
