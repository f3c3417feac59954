/**
 * The website widget's visitors, over the one conversation core: whether an origin may use an
 * instance now, a visitor's chat session (created, renewed, its history), and a reply to their
 * message through TextChat, as the admin chat and the other channels get theirs. An admin's change
 * applies to the next request (`instanceChanged`, called by the admin routes, drops the instances
 * read; another gateway process sharing the database reads it again within INSTANCE_CACHE_MS), and
 * replies streaming on this process when an instance is disabled, deleted or loses the visitor's
 * origin are cut (on another process they run to their end).
 *
 * A visitor's session is a chat session with `source = 'widget'` and `source_id = '<instance
 * id>:<random key>'`, so the admin's chat history shows it (GET /admin/chat/sessions?source=widget).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { WidgetVisitor } from '../http/route.ts';
import type { ChatMessage, ChatRepo, ChatSession } from '../repositories/chat.ts';
import type { WidgetInstance, WidgetsRepo } from '../repositories/widgets.ts';
import type { TextChat, TurnOptions } from '../conversation/text-chat.ts';
import { VisitorRateLimitedError, WidgetRefusedError } from './widget-errors.ts';
import { VisitorRateLimits } from './visitor-rate-limits.ts';
import { VISITOR_RENEW_WINDOW_S, type IssuedToken, type VisitorTokens } from './visitor-token.ts';

export const MAX_VISITOR_MESSAGE_CHARS = 2000;
/** Messages a reloaded widget shows: the most recent ones. */
export const VISITOR_HISTORY_LIMIT = 200;
export const WIDGET_SOURCE = 'widget';
/** How long an instance read from the database answers visitor requests (see #instance). */
export const INSTANCE_CACHE_MS = 1000;
const MAX_CACHED_INSTANCES = 10_000;

export interface VisitorMessage {
  id: number;
  role: 'user' | 'assistant';
  content: string;
  created_at: string;
}

/** What a visitor's reply needs, checked before the answer starts streaming (so refusals are plain JSON). */
export interface PreparedReply {
  instance: WidgetInstance;
  session: ChatSession;
  visitor: WidgetVisitor;
}

export class WidgetVisitors {
  readonly limits = new VisitorRateLimits();
  /** Where the gateway serves the voice WebSocket (it sets this from VOICE_WS_PATH); voice tokens name it. */
  voicePath = '/ws/voice';
  /** Replies streaming now, by instance id, with the origin each visitor came from. */
  readonly #live = new Map<number, Map<AbortController, string>>();
  readonly #instances = new Map<string, { at: number; instance: Promise<WidgetInstance | undefined> }>();
  /** Voice tokens already used for a call, until they expire. */
  readonly #usedVoiceTokens = new Map<string, number>();
  /** Voice calls open now on this gateway, by instance id. */
  readonly #voiceCalls = new Map<number, number>();

  constructor(
    private readonly widgets: WidgetsRepo,
    private readonly chatRepo: ChatRepo,
    private readonly chat: TextChat,
    readonly tokens: VisitorTokens,
    private readonly log: Logger,
    private readonly options: { voiceCallsPerInstance: number } = { voiceCallsPerInstance: 3 },
  ) {}

  /** The instance, if `origin` may use it now; WidgetRefusedError otherwise. */
  async admit(publicId: string, origin: string | undefined): Promise<WidgetInstance> {
    if (!origin) throw new WidgetRefusedError('origin_required', 'the request has no Origin header');
    const instance = await this.#instance(publicId);
    if (!instance) throw new WidgetRefusedError('widget_not_found', 'no such widget');
    if (!instance.enabled) throw new WidgetRefusedError('widget_disabled', 'this chat is switched off');
    if (!instance.allowed_origins.includes(origin)) throw new WidgetRefusedError('origin_not_allowed', `this chat may not be used on ${origin}`);
    return instance;
  }

  /** A new visitor: a chat session for the instance and a token for it, bound to the origin. */
  async startSession(publicId: string, origin: string | undefined, ip: string): Promise<IssuedToken & { renew_until: string }> {
    const instance = await this.admit(publicId, origin);
    this.#take(instance, null, ip);
    const session = await this.chatRepo.createSession(WIDGET_SOURCE, `${instance.id}:${randomBytes(12).toString('base64url')}`, { persona_id: instance.persona_id });
    this.log.debug({ widget: instance.id, session: session.id }, 'widget visitor session started');
    return this.#issue({ instanceId: instance.id, publicId, sessionId: session.id, origin: origin! });
  }

  /** A fresh token for a visitor's session (their token may have expired a while ago; see visitor-token.ts). */
  async renew(publicId: string, origin: string | undefined, token: string): Promise<IssuedToken & { renew_until: string }> {
    const v = this.tokens.verifyForRenewal(token);
    const instance = await this.admit(publicId, origin);
    if (v.publicId !== publicId || v.origin !== origin || v.instanceId !== instance.id) {
      throw new WidgetRefusedError('session_gone', 'this token was issued for another widget or origin');
    }
    await this.#session(v);
    return this.#issue(v);
  }

  async history(v: WidgetVisitor): Promise<VisitorMessage[]> {
    await this.#admitVisitor(v);
    const session = await this.#session(v);
    const messages = await this.chatRepo.messages(session.id);
    return messages
      .filter((m): m is ChatMessage & { role: 'user' | 'assistant' } => m.role === 'user' || m.role === 'assistant')
      .slice(-VISITOR_HISTORY_LIMIT)
      .map((m) => ({ id: m.id, role: m.role, content: m.content, created_at: m.created_at }));
  }

  /** Everything a reply checks before it starts: the instance, the session, the rate limits. */
  async prepareReply(v: WidgetVisitor, ip: string): Promise<PreparedReply> {
    const instance = await this.#admitVisitor(v);
    const session = await this.#session(v);
    this.#take(instance, session.id, ip);
    return { instance, session, visitor: v };
  }

  /**
   * The turn, as the admin chat runs it, with the instance's persona as it is now (the session's
   * own was the instance's when it started). Cut, with a WidgetRefusedError as the signal's reason,
   * when the instance is switched off meanwhile.
   */
  async reply(p: PreparedReply, content: string, opts: Pick<TurnOptions, 'signal' | 'onText'>): ReturnType<TextChat['sessionTurn']> {
    const cut = new AbortController();
    let live = this.#live.get(p.instance.id);
    if (!live) this.#live.set(p.instance.id, (live = new Map()));
    live.set(cut, p.visitor.origin);
    try {
      const result = await this.chat.sessionTurn({ ...p.session, persona_id: p.instance.persona_id }, content, {
        signal: AbortSignal.any([opts.signal, cut.signal]),
        onText: opts.onText,
      });
      if (cut.signal.aborted) throw cut.signal.reason;
      return result;
    } catch (err) {
      // Whatever the engine threw on the abort, the visitor is told why it came.
      throw cut.signal.aborted ? cut.signal.reason : err;
    } finally {
      live.delete(cut);
      if (!live.size) this.#live.delete(p.instance.id);
    }
  }

  /** A token for one voice call as this visitor, speaking as the instance's persona. */
  async voiceToken(v: WidgetVisitor, ip: string): Promise<IssuedToken & { path: string }> {
    const instance = await this.#admitVisitor(v);
    if (!instance.voice_enabled || this.options.voiceCallsPerInstance === 0) throw new WidgetRefusedError('voice_disabled', 'this chat has no voice button');
    if (this.#linesBusy(instance.id)) throw new WidgetRefusedError('voice_busy', 'every voice line of this chat is busy; try again in a minute, or write instead');
    const session = await this.#session(v);
    // A call costs at least what a message does: it counts against the same per-session and per-IP limits.
    this.#take(instance, session.id, ip);
    return { ...this.tokens.issueVoice(v, instance.persona_id), path: this.voicePath };
  }

  /**
   * Whether a WebSocket upgrade presenting `token` may start a voice call, and as which persona
   * (the gateway's voice endpoint asks; undefined persona: the default). The token must be a live
   * voice token of ours, presented from the origin it was issued to, and not used before: one
   * token, one call. The instance was checked (enabled, voice button on) when the token was
   * issued, at most VOICE_TOKEN_TTL_S ago; the upgrade itself reads no database.
   * 'busy': the instance has all its lines (WIDGET_VOICE_CALLS) open here; the token is not spent.
   * The call's line is given back by `release`, which the endpoint calls when the call ends.
   */
  voiceCall(token: string, origin: string | undefined): { persona: string | undefined; release(): void } | 'busy' | null {
    const grant = this.tokens.voiceGrant(token);
    if (!grant || grant.origin !== origin) return null;
    const now = Date.now() / 1000;
    for (const [id, exp] of this.#usedVoiceTokens) if (exp < now) this.#usedVoiceTokens.delete(id);
    if (this.#usedVoiceTokens.has(grant.tokenId)) return null;
    if (this.#linesBusy(grant.instanceId)) return 'busy';
    this.#usedVoiceTokens.set(grant.tokenId, grant.expiresAt + 10);
    const instanceId = grant.instanceId;
    this.#voiceCalls.set(instanceId, (this.#voiceCalls.get(instanceId) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (this.#voiceCalls.get(instanceId) ?? 1) - 1;
      if (left > 0) this.#voiceCalls.set(instanceId, left);
      else this.#voiceCalls.delete(instanceId);
    };
    return { persona: grant.personaId === null ? undefined : String(grant.personaId), release };
  }

  /** Voice calls of instance `id` open on this gateway now. */
  voiceCallsOf(id: number): number {
    return this.#voiceCalls.get(id) ?? 0;
  }

  #linesBusy(instanceId: number): boolean {
    return this.voiceCallsOf(instanceId) >= this.options.voiceCallsPerInstance;
  }

  /** An admin changed (or, with null, deleted) instance `id`: cut the replies it no longer allows. */
  instanceChanged(id: number, instance: WidgetInstance | null): void {
    this.#instances.clear();
    const live = this.#live.get(id);
    if (!live) return;
    for (const [cut, origin] of live) {
      if (!instance) cut.abort(new WidgetRefusedError('widget_not_found', 'this chat was removed'));
      else if (!instance.enabled) cut.abort(new WidgetRefusedError('widget_disabled', 'this chat is switched off'));
      else if (!instance.allowed_origins.includes(origin)) cut.abort(new WidgetRefusedError('origin_not_allowed', `this chat may not be used on ${origin}`));
    }
  }

  /** Replies streaming now (all instances). */
  get streaming(): number {
    let n = 0;
    for (const live of this.#live.values()) n += live.size;
    return n;
  }

  close(): void {
    this.limits.close();
  }

  /**
   * The instance by public id, read at most once per INSTANCE_CACHE_MS (every visitor request
   * looks it up, most of them twice: the CORS check and the handler). A change through this
   * process clears it at once; one made through another gateway process on the same database
   * applies here within INSTANCE_CACHE_MS.
   */
  #instance(publicId: string): Promise<WidgetInstance | undefined> {
    const now = performance.now();
    const hit = this.#instances.get(publicId);
    if (hit && now - hit.at < INSTANCE_CACHE_MS) return hit.instance;
    // Ids that do not exist are cached too (a scan must not turn into database reads), within a bound.
    if (this.#instances.size >= MAX_CACHED_INSTANCES) this.#instances.clear();
    const instance = this.widgets.byPublicId(publicId);
    this.#instances.set(publicId, { at: now, instance });
    instance.catch(() => this.#instances.delete(publicId));
    return instance;
  }

  async #admitVisitor(v: WidgetVisitor): Promise<WidgetInstance> {
    const instance = await this.admit(v.publicId, v.origin);
    // A public id is never reused, but a token must not outlive a restore that gave it to another row.
    if (instance.id !== v.instanceId) throw new WidgetRefusedError('session_gone', 'this conversation is no longer available');
    return instance;
  }

  async #session(v: WidgetVisitor): Promise<ChatSession> {
    const session = await this.chatRepo.getSession(v.sessionId);
    if (!session || session.source !== WIDGET_SOURCE || !session.source_id.startsWith(`${v.instanceId}:`)) {
      throw new WidgetRefusedError('session_gone', 'this conversation is no longer available; start a new one');
    }
    return session;
  }

  #take(instance: WidgetInstance, sessionId: number | null, ip: string): void {
    const d = this.limits.takeMessage({ instanceId: instance.id, sessionId, ip, sessionPerMin: instance.session_messages_per_min, ipPerMin: instance.ip_messages_per_min });
    if (!d.ok) throw new VisitorRateLimitedError(d.retryAfterS);
  }

  #issue(v: WidgetVisitor): IssuedToken & { renew_until: string } {
    const issued = this.tokens.issue(v);
    return { ...issued, renew_until: new Date(Date.parse(issued.expires_at) + VISITOR_RENEW_WINDOW_S * 1000).toISOString() };
  }
}
