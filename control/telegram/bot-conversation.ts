/**
 * One Telegram update, handled to the end: what the user wrote reaches the one conversation core
 * (TextChat.sessionTurn: FAQ, persona, LLM chain, the secretary that takes a message) and the
 * reply is shown as it is written (streamed-reply.ts). Commands: `/start` greets (opening a
 * session if the chat has none), `/help` says what the bot does, `/reset` starts a new session.
 * A voice message is downloaded, transcribed by the STT service and answered like text, and also
 * with a voice note when the bot's `reply_with_voice` is on.
 *
 * A chat's session is `source = telegram`, `source_id = <bot id>:<chat id>`, `contact =
 * telegram:<user id>`; the bot's persona and LLM override answer it (whatever the session row
 * says, so an admin's change to the bot reaches its chats at once). Every turn is metered as the
 * bot (`telegram_bot`, its id): chat, stt and tts, like the HTTP routes count theirs.
 *
 * Failures are answered in the persona's language with an error id; what failed is logged under
 * it, never Telegram's or an engine's own text.
 */
import type { Api } from 'grammy';
import { InputFile } from 'grammy';
import type { Message, Update } from 'grammy/types';
import { engineFailure, EngineError, type EngineLog } from '../../pipeline/engines/engine-error.ts';
import { greetingText } from '../../pipeline/dialogue/persona.ts';
import type { TextChat } from '../conversation/text-chat.ts';
import type { DatabaseConversationSource } from '../conversation/conversation-source.ts';
import { HttpError as ControlHttpError } from '../http/errors.ts';
import { TokenBuckets } from '../http/token-buckets.ts';
import type { ChatRepo, ChatSession } from '../repositories/chat.ts';
import type { TelegramBot } from '../repositories/telegram-bots.ts';
import type { SttService } from '../stt/stt-service.ts';
import type { TtsService, VoiceSettings } from '../tts/tts-service.ts';
import type { UsageMeter, UsageTicket } from '../usage/usage-meter.ts';
import { describeApiError } from './bot-api.ts';
import { botTexts, type BotTexts } from './bot-texts.ts';
import { StreamedReply } from './streamed-reply.ts';
import { downloadVoiceNote, synthesizeVoiceNote, VoiceNoteTooLarge } from './voice-note.ts';

export const TELEGRAM_SOURCE = 'telegram';

/** The session's source id for a chat with a bot. */
export const telegramSourceId = (botId: number, chatId: number): string => `${botId}:${chatId}`;
/** How the conversation core and GDPR requests name a Telegram user. */
export const telegramContact = (userId: number): string => `telegram:${userId}`;

/** Spoken replies longer than this are cut at a sentence (a voice note of minutes helps nobody). */
const MAX_SPOKEN_CHARS = 1500;

export interface BotConversationDeps {
  chats: ChatRepo;
  textChat: TextChat;
  conversations: DatabaseConversationSource;
  stt: SttService;
  tts: TtsService;
  usage: UsageMeter;
  log: EngineLog;
  /** TELEGRAM_API_ROOT, for file downloads. */
  apiRoot: string;
  /** Least time between two requests to one chat (default 1000 ms). */
  replyIntervalMs?: number;
  /** Messages one Telegram user may send one bot per minute (TELEGRAM_USER_MESSAGES_PER_MIN); 0: no limit. */
  userMessagesPerMin?: number;
}

/** What a running bot hands its updates: its settings as of its start, its client and its stop signal. */
export interface BotHandle {
  bot: TelegramBot;
  api: Api;
  token: string;
  /** The bot's @username (commands addressed to another bot in a group are not ours). */
  username: string;
  signal: AbortSignal;
}

type FromUser = Message & { from: NonNullable<Message['from']> };
type TextMessage = FromUser & { text: string };
type VoiceMessage = FromUser & { voice: NonNullable<Message['voice']> };

export class BotConversation {
  readonly #perUser = new TokenBuckets();
  /** Users told they write too fast, until when: one notice per spell, not a reply per message. */
  readonly #warnedUntil = new Map<string, number>();

  constructor(private readonly deps: BotConversationDeps) {}

  /** Handles one update completely (resolves once the user has seen the whole reply). Never throws for the user's content. */
  async handle(h: BotHandle, update: Update): Promise<void> {
    const msg = update.message;
    if (!msg || !msg.from || msg.from.is_bot) return; // edits, channel posts and the like: not a conversation
    const config = this.#config(h.bot);
    const texts = botTexts(config.persona.language);
    const say = (text: string) => this.#send(h, msg.chat.id, text);
    if (h.bot.allowed_user_ids !== null && !h.bot.allowed_user_ids.includes(msg.from.id)) {
      await say(texts.notAllowed);
      return;
    }
    const waitS = this.#tooFast(h.bot.id, msg.from.id);
    if (waitS !== null) {
      if (waitS > 0) await say(texts.tooFast(waitS));
      return; // acknowledged, not answered: each answer costs the owner an LLM turn
    }
    try {
      if (typeof msg.text === 'string') await this.#text(h, msg as TextMessage, texts);
      else if (msg.voice) await this.#voice(h, msg as VoiceMessage, texts);
      else await say(texts.unsupported);
    } catch (err) {
      if (h.signal.aborted) throw err;
      const e = this.#failure(err, 'handling a message failed', { bot_id: h.bot.id, update_id: update.update_id });
      await say(texts.failed(e.errorId)).catch(() => {});
    }
  }

  /**
   * Null when the user may be answered; otherwise the seconds to wait, or 0 when they were already
   * told during this spell. Every message counts, commands and voice notes too.
   */
  #tooFast(botId: number, userId: number): number | null {
    const perMin = this.deps.userMessagesPerMin ?? 0;
    if (perMin <= 0) return null;
    const key = `${botId}|${userId}`;
    const d = this.#perUser.take([[key, perMin]]);
    if (d.ok) return null;
    const now = performance.now();
    if ((this.#warnedUntil.get(key) ?? 0) > now) return 0;
    if (this.#warnedUntil.size > 10_000) for (const [k, until] of this.#warnedUntil) if (until <= now) this.#warnedUntil.delete(k);
    // Quiet until the allowance has fully refilled (a minute), however fast the user keeps writing.
    this.#warnedUntil.set(key, now + 60_000);
    return Math.max(1, Math.ceil(d.retryAfterS));
  }

  /** Stops the allowance's sweep timer. */
  close(): void {
    this.#perUser.close();
  }

  async #text(h: BotHandle, msg: TextMessage, texts: BotTexts): Promise<void> {
    const command = parseCommand(msg.text, h.username);
    if (command === 'other_bot') return;
    const chatId = msg.chat.id;
    if (command === 'start') {
      const existing = await this.#existingSession(h.bot, chatId);
      if (!existing) await this.#newSession(h.bot, msg);
      await this.#send(h, chatId, h.bot.greeting ?? greetingText(this.#config(h.bot).persona));
      return;
    }
    if (command === 'help') return void (await this.#send(h, chatId, texts.help));
    if (command === 'reset') {
      await this.#newSession(h.bot, msg);
      await this.#send(h, chatId, texts.reset);
      return;
    }
    await this.#turn(h, msg, msg.text, texts);
  }

  async #voice(h: BotHandle, msg: VoiceMessage, texts: BotTexts): Promise<void> {
    const chatId = msg.chat.id;
    const maxS = this.deps.stt.maxSeconds;
    if (msg.voice.duration > maxS) return void (await this.#send(h, chatId, texts.voiceTooLong(maxS)));
    const ticket = this.#meter(h, 'stt');
    if (!ticket) return void (await this.#send(h, chatId, texts.usageLimit));
    let heard: string;
    try {
      await h.api.sendChatAction(chatId, 'typing').catch(() => {});
      const ogg = await downloadVoiceNote(h.api, this.deps.apiRoot, h.token, msg.voice.file_id, h.signal);
      heard = (await this.deps.stt.transcribe(ogg, { signal: h.signal })).text.trim();
      ticket.commit({ source: 'telegram' });
    } catch (err) {
      ticket.cancel();
      if (h.signal.aborted) throw err;
      if (err instanceof VoiceNoteTooLarge) return void (await this.#send(h, chatId, texts.voiceTooBig));
      const e = this.#failure(err, 'a voice message could not be transcribed', { bot_id: h.bot.id });
      return void (await this.#send(h, chatId, texts.voiceFailed(e.errorId)));
    }
    if (!heard) return void (await this.#send(h, chatId, texts.voiceNotUnderstood));
    const reply = await this.#turn(h, msg, heard, texts);
    if (reply && h.bot.reply_with_voice) await this.#voiceReply(h, chatId, reply);
  }

  /** One turn of the conversation; resolves with the reply's text once it is fully shown (null when refused). */
  async #turn(h: BotHandle, msg: FromUser, text: string, texts: BotTexts): Promise<string | null> {
    const chatId = msg.chat.id;
    const ticket = this.#meter(h, 'chat');
    if (!ticket) {
      await this.#send(h, chatId, texts.usageLimit);
      return null;
    }
    const session = (await this.#existingSession(h.bot, chatId)) ?? (await this.#newSession(h.bot, msg));
    await h.api.sendChatAction(chatId, 'typing').catch(() => {});
    const reply = new StreamedReply(
      {
        send: async (t) => (await h.api.sendMessage(chatId, t, { link_preview_options: { is_disabled: true } }, h.signal as never)).message_id,
        edit: async (id, t) => {
          await h.api.editMessageText(chatId, id, t, { link_preview_options: { is_disabled: true } }, h.signal as never).catch((err: unknown) => {
            // Never sent on purpose (StreamedReply compares), but harmless if Telegram thinks so.
            if (!/message is not modified/.test(describeApiError(err).detail.description as string)) throw err;
          });
        },
      },
      { intervalMs: this.deps.replyIntervalMs },
    );
    let result;
    try {
      result = await this.deps.textChat.sessionTurn(this.#asBot(session, h.bot), text, {
        signal: h.signal,
        callerId: telegramContact(msg.from.id),
        onText: async (piece) => reply.append(piece),
      });
    } catch (err) {
      ticket.cancel();
      throw err;
    }
    const { turn } = result;
    ticket.commit({ source: turn.source, tokensIn: turn.tokensIn, tokensOut: turn.tokensOut });
    const shown = turn.truncated ? turn.text + texts.cutShort(turn.truncated.errorId) : turn.text;
    await reply.finish(shown);
    if (reply.error) throw reply.error;
    return turn.text;
  }

  async #voiceReply(h: BotHandle, chatId: number, text: string): Promise<void> {
    const ticket = this.#meter(h, 'tts');
    if (!ticket) return; // the text reply is there; the limit only costs the voice
    try {
      await h.api.sendChatAction(chatId, 'record_voice').catch(() => {});
      const ogg = await synthesizeVoiceNote(this.deps.tts, spokenPart(text), await this.#voiceOf(h.bot), h.signal);
      await h.api.sendVoice(chatId, new InputFile(ogg, 'reply.ogg'), {}, h.signal as never);
      ticket.commit({ source: 'telegram' });
    } catch (err) {
      ticket.cancel();
      if (h.signal.aborted) throw err;
      this.#failure(err, 'the voice reply could not be sent', { bot_id: h.bot.id }); // the text reply stands
    }
  }

  /** The persona's voice when the TTS catalog takes it, else the default engine in the persona's language. */
  async #voiceOf(bot: TelegramBot): Promise<VoiceSettings> {
    const config = this.#config(bot);
    const language = config.voice.language ?? config.persona.language;
    try {
      return await this.deps.tts.resolve({ engine: config.voice.engine, voice: config.voice.voice, language, speed: config.voice.speed });
    } catch {
      return this.deps.tts.resolve({ language }).catch(() => this.deps.tts.resolve({}));
    }
  }

  #config(bot: TelegramBot) {
    return this.deps.conversations.resolve({ channel: TELEGRAM_SOURCE, persona: bot.persona_id === null ? undefined : String(bot.persona_id) });
  }

  #asBot(session: ChatSession, bot: TelegramBot): ChatSession {
    return { ...session, persona_id: bot.persona_id, llm_backend: bot.llm_backend, llm_provider_id: bot.llm_provider_id };
  }

  async #existingSession(bot: TelegramBot, chatId: number): Promise<ChatSession | undefined> {
    return this.deps.chats.findSession(TELEGRAM_SOURCE, telegramSourceId(bot.id, chatId));
  }

  async #newSession(bot: TelegramBot, msg: Message): Promise<ChatSession> {
    const session = await this.deps.chats.createSession(TELEGRAM_SOURCE, telegramSourceId(bot.id, msg.chat.id), {
      contact: msg.from ? telegramContact(msg.from.id) : null,
      persona_id: bot.persona_id,
    });
    const llm = bot.llm_backend === 'faq' ? ({ backend: 'faq' } as const) : bot.llm_backend === 'provider' && bot.llm_provider_id !== null ? ({ backend: 'provider', provider_id: bot.llm_provider_id } as const) : null;
    return llm ? ((await this.deps.chats.setLlmOverride(session.id, llm)) ?? session) : session;
  }

  /** A ticket, or null when a usage limit for this bot is reached. */
  #meter(h: BotHandle, kind: 'chat' | 'stt' | 'tts'): UsageTicket | null {
    try {
      return this.deps.usage.beginFor({ type: 'telegram_bot', id: String(h.bot.id) }, kind);
    } catch (err) {
      if (err instanceof ControlHttpError && err.status === 429) return null;
      throw err;
    }
  }

  /** Plain text, no link previews; split into messages at Telegram's limit. */
  async #send(h: BotHandle, chatId: number, text: string): Promise<void> {
    const reply = new StreamedReply(
      { send: async (t) => (await h.api.sendMessage(chatId, t, { link_preview_options: { is_disabled: true } }, h.signal as never)).message_id, edit: async () => {} },
      { intervalMs: this.deps.replyIntervalMs },
    );
    await reply.finish(text);
    if (reply.error) throw reply.error;
  }

  /** Logged under an error id: grammy's errors through describeApiError (their messages may quote the token's URL). */
  #failure(err: unknown, what: string, detail: Record<string, unknown>): EngineError {
    if (err instanceof EngineError) return err;
    if (err instanceof ControlHttpError) {
      const id = (err.details as { error_id?: string } | undefined)?.error_id;
      if (id) return new EngineError(err.message, id);
      return engineFailure(this.deps.log, 'telegram', `${what}: ${err.code}`, detail);
    }
    const grammy = err instanceof Error && (err.name === 'GrammyError' || err.name === 'HttpError');
    if (grammy) {
      const d = describeApiError(err);
      return engineFailure(this.deps.log, 'telegram', `${what}: ${d.summary}`, { ...detail, ...d.detail });
    }
    return engineFailure(this.deps.log, 'telegram', what, { ...detail, err });
  }
}

/** `/start`, `/help`, `/reset` (also as `/start@thisbot`); `other_bot` for a command addressed to another bot; null for anything else. */
export function parseCommand(text: string, username: string): 'start' | 'help' | 'reset' | 'other_bot' | null {
  const m = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s|$)/.exec(text.trim());
  if (!m) return null;
  if (m[2] && m[2].toLowerCase() !== username.toLowerCase()) return 'other_bot';
  const name = m[1]!.toLowerCase();
  return name === 'start' || name === 'help' || name === 'reset' ? name : null;
}

/** At most MAX_SPOKEN_CHARS, ended at a sentence where one ends in the last third. */
export function spokenPart(text: string): string {
  if (text.length <= MAX_SPOKEN_CHARS) return text;
  const head = text.slice(0, MAX_SPOKEN_CHARS);
  const end = Math.max(head.lastIndexOf('. '), head.lastIndexOf('! '), head.lastIndexOf('? '), head.lastIndexOf('\n'));
  return end > MAX_SPOKEN_CHARS / 3 ? head.slice(0, end + 1) : head;
}
