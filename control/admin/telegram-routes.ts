/**
 * Telegram bots: CRUD, start/stop/restart and each bot's status, plus the public route Telegram
 * POSTs updates to in webhook mode.
 *
 * The token is write-only (`has_token`); saving a new token or another mode restarts a running
 * bot. Webhook mode needs PUBLIC_BASE_URL (where Telegram reaches this gateway): without it, it is
 * refused when saved. Status, as this gateway sees it: `running`, `starting`, `stopped`,
 * `standby` (another gateway on this database runs it; bot-ownership.ts) or `error` (waiting to retry:
 * `next_retry_at`; stopped by an error such as a refused token: no `next_retry_at`), the last
 * error in our words with its error id (what Telegram said is in the log under that id), when an
 * update last arrived, and the bot's @username as Telegram reported it.
 *
 * `POST /telegram/webhook/:id` is public by design (Telegram has no credentials of ours); it is
 * listed in PUBLIC_ROUTES and checks `X-Telegram-Bot-Api-Secret-Token` in constant time: 401
 * without it, 403 with a wrong one (or for a bot that does not exist), 503 while the bot is not
 * running in webhook mode (Telegram sends the update again later), 200 once the update is handled.
 */
import { z } from 'zod';
import { HttpError, notFound } from '../http/errors.ts';
import { created, json, noContent, route, type RouteDef } from '../http/route.ts';
import { requireUsableProvider } from '../llm/llm-backend.ts';
import { BOT_MODES, type BotLlmOverride, type TelegramBot, type TelegramBotInput } from '../repositories/telegram-bots.ts';
import type { ControlServices } from '../services.ts';
import { BotDisabledError, BotNotFoundError } from '../telegram/bot-manager.ts';
import { webhookPath } from '../telegram/bot-runner.ts';
import { IdParams } from './schemas.ts';

const READ = { kind: 'user', role: 'viewer' } as const;
const WRITE = { kind: 'user', role: 'operator' } as const;

const BotToken = z.string().trim().regex(/^\d{3,20}:[A-Za-z0-9_-]{30,100}$/, 'a bot token as @BotFather gives it (123456789:AA...)');

const LlmOverride = z.discriminatedUnion('backend', [
  z.strictObject({ backend: z.literal('default') }),
  z.strictObject({ backend: z.literal('faq') }),
  z.strictObject({ backend: z.literal('provider'), provider_id: z.number().int().positive() }),
]);

const TelegramUserId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

const Fields = {
  name: z.string().trim().min(1).max(100),
  token: BotToken,
  enabled: z.boolean(),
  auto_start: z.boolean().describe('start with the gateway (when enabled)'),
  persona_id: z.number().int().positive().nullable().describe('the persona that answers; null: the default'),
  llm: LlmOverride.describe('{"backend":"faq"}, {"backend":"provider","provider_id":N} or {"backend":"default"} (the persona’s provider and the default backend)'),
  greeting: z.string().trim().min(1).max(4096).nullable().describe('the answer to /start; null: the persona’s greeting'),
  allowed_user_ids: z.array(TelegramUserId).max(1000).nullable().describe('Telegram user ids that may talk to the bot; null: anyone'),
  mode: z.enum(BOT_MODES).describe('polling (getUpdates; the default) or webhook (needs PUBLIC_BASE_URL)'),
  reply_with_voice: z.boolean().describe('answer voice messages with a voice note too'),
};

const BotCreate = z.strictObject({
  name: Fields.name,
  token: Fields.token,
  enabled: Fields.enabled.optional(),
  auto_start: Fields.auto_start.optional(),
  persona_id: Fields.persona_id.optional(),
  llm: Fields.llm.optional(),
  greeting: Fields.greeting.optional(),
  allowed_user_ids: Fields.allowed_user_ids.optional(),
  mode: Fields.mode.optional(),
  reply_with_voice: Fields.reply_with_voice.optional(),
});
const BotPatch = BotCreate.partial();

const Failure = z.object({ message: z.string(), error_id: z.string(), at: z.string() });
const BotResponse = z.object({
  id: z.number(),
  name: z.string(),
  has_token: z.boolean(),
  bot_user_id: z.string().nullable(),
  username: z.string().nullable(),
  enabled: z.boolean(),
  auto_start: z.boolean(),
  persona_id: z.number().nullable(),
  llm_backend: z.string().nullable(),
  llm_provider_id: z.number().nullable(),
  greeting: z.string().nullable(),
  allowed_user_ids: z.array(z.number()).nullable(),
  mode: z.enum(BOT_MODES),
  reply_with_voice: z.boolean(),
  last_update_at: z.string().nullable(),
  webhook_url: z.string().nullable().describe('where Telegram posts updates (webhook mode)'),
  status: z.object({
    state: z.enum(['stopped', 'starting', 'standby', 'running', 'error']).describe('standby: another gateway on this database runs the bot; this one takes over when that one stops'),
    since: z.string().nullable(),
    next_retry_at: z.string().nullable(),
    last_error: Failure.nullable(),
    handling: z.number().describe('updates being handled now'),
  }),
  created_at: z.string(),
  updated_at: z.string(),
});

/** The `default` choice is stored as no override. */
const llmChoice = (b: z.infer<typeof LlmOverride> | undefined): BotLlmOverride | undefined => (b === undefined ? undefined : b.backend === 'default' ? null : b);

export function telegramRoutes(s: ControlServices): RouteDef[] {
  const view = (b: TelegramBot) => ({
    ...b,
    webhook_url: b.mode === 'webhook' && s.config.publicBaseUrl ? s.config.publicBaseUrl + webhookPath(b.id) : null,
    status: s.telegram.status(b.id),
  });
  const bot = async (id: number) => (await s.repos.telegramBots.get(id)) ?? Promise.reject(notFound('telegram bot'));
  /** What the manager throws, in HTTP terms. */
  const managed = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      if (err instanceof BotNotFoundError) throw notFound('telegram bot');
      if (err instanceof BotDisabledError) throw new HttpError(409, 'bot_disabled', err.message);
      throw err;
    }
  };
  const checkRefs = async (b: { persona_id?: number | null; llm?: z.infer<typeof LlmOverride>; mode?: string }) => {
    if (b.persona_id != null && !(await s.repos.personas.get(b.persona_id))) throw notFound('persona');
    if (b.llm?.backend === 'provider') await requireUsableProvider(s.repos.llmProviders, b.llm.provider_id);
    if (b.mode === 'webhook' && !s.config.publicBaseUrl) {
      throw new HttpError(400, 'public_base_url_missing', 'webhook mode needs PUBLIC_BASE_URL (the https address Telegram reaches this gateway at); set it, or use polling');
    }
  };
  const action = (name: 'start' | 'stop' | 'restart', summary: string): RouteDef =>
    route({
      method: 'POST',
      path: `/admin/telegram/bots/:id/${name}`,
      summary,
      tag: 'telegram',
      auth: WRITE,
      audit: `telegram_bots.${name}`,
      params: IdParams,
      response: BotResponse,
      async handler(ctx) {
        ctx.audit.target = `telegram_bot:${ctx.params.id}`;
        await managed(() => s.telegram[name](ctx.params.id));
        return json(view(await bot(ctx.params.id)));
      },
    });

  return [
    route({
      method: 'GET',
      path: '/admin/telegram/bots',
      summary: 'Telegram bots with their status (tokens are never returned)',
      tag: 'telegram',
      auth: READ,
      response: z.object({ items: z.array(BotResponse) }),
      async handler() {
        return json({ items: (await s.repos.telegramBots.list()).map(view) });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/telegram/bots',
      summary: 'Connect a bot with its @BotFather token; it starts at once when enabled with auto_start (both default true)',
      tag: 'telegram',
      auth: WRITE,
      audit: 'telegram_bots.create',
      body: BotCreate,
      response: BotResponse,
      async handler(ctx) {
        const b = ctx.body;
        await checkRefs(b);
        const { llm, ...rest } = b;
        const created_ = await s.repos.telegramBots.create({ ...rest, llm: llmChoice(llm) } as TelegramBotInput & { token: string });
        ctx.audit.target = `telegram_bot:${created_.id}`;
        ctx.audit.details = { name: created_.name, mode: created_.mode, token: 'set' };
        if (created_.enabled && created_.auto_start) await s.telegram.start(created_.id);
        await s.conversations.changed(); // the other gateways on this database stand by for it
        return created(view(created_));
      },
    }),
    route({
      method: 'GET',
      path: '/admin/telegram/bots/:id',
      summary: 'One Telegram bot with its status',
      tag: 'telegram',
      auth: READ,
      params: IdParams,
      response: BotResponse,
      async handler(ctx) {
        return json(view(await bot(ctx.params.id)));
      },
    }),
    route({
      method: 'PATCH',
      path: '/admin/telegram/bots/:id',
      summary: 'Change a bot; a new token or mode restarts it when it runs, disabling stops it, other changes reach its next messages',
      tag: 'telegram',
      auth: WRITE,
      audit: 'telegram_bots.update',
      params: IdParams,
      body: BotPatch,
      response: BotResponse,
      async handler(ctx) {
        const before = await bot(ctx.params.id);
        const b = ctx.body;
        await checkRefs(b);
        ctx.audit.target = `telegram_bot:${before.id}`;
        ctx.audit.details = { fields: Object.keys(b).filter((k) => k !== 'token'), token: b.token === undefined ? undefined : 'set' };
        const { llm, ...rest } = b;
        const after = await s.repos.telegramBots.update(before.id, { ...rest, llm: llmChoice(llm) });
        if (!after) throw notFound('telegram bot');
        await s.telegram.changed(after, b.token !== undefined || (b.mode !== undefined && b.mode !== before.mode));
        await s.conversations.changed(); // the gateway running it, if another one, applies it too
        return json(view(after));
      },
    }),
    route({
      method: 'DELETE',
      path: '/admin/telegram/bots/:id',
      summary: 'Stop and delete a bot (its chats stay in the chat history); 409 bot_in_use while notification channels send through it',
      tag: 'telegram',
      auth: WRITE,
      audit: 'telegram_bots.delete',
      params: IdParams,
      async handler(ctx) {
        ctx.audit.target = `telegram_bot:${ctx.params.id}`;
        await bot(ctx.params.id);
        // The owner would stop hearing of messages without noticing: those channels are moved first.
        const users = await s.repos.notificationChannels.listUsingBot(ctx.params.id);
        if (users.length) {
          const names = users.map((c) => `"${c.name}"`).join(', ');
          throw new HttpError(409, 'bot_in_use', `notification channels send through this bot (${names}): give them another bot or a bot token first`, { channel_ids: users.map((c) => c.id) });
        }
        await s.telegram.removing(ctx.params.id);
        if (!(await s.repos.telegramBots.remove(ctx.params.id))) throw notFound('telegram bot');
        await s.conversations.changed(); // the gateway running it, if another one, stops it
        return noContent();
      },
    }),
    action('start', 'Start the bot (409 bot_disabled when it is disabled); its status says when it runs'),
    action('stop', 'Stop the bot: messages being answered are finished first'),
    action('restart', 'Stop the bot (finishing what it is answering) and start it again'),
    route({
      method: 'POST',
      path: '/telegram/webhook/:id',
      summary: 'Telegram’s webhook delivery for a bot in webhook mode (public; X-Telegram-Bot-Api-Secret-Token checked); answers once the update is handled',
      tag: 'telegram',
      auth: { kind: 'public' },
      params: IdParams,
      maxBodyBytes: 1024 * 1024,
      body: z.looseObject({ update_id: z.number().int().nonnegative() }),
      async handler(ctx) {
        const outcome = await s.telegram.webhook(ctx.params.id, ctx.headers['x-telegram-bot-api-secret-token'], ctx.body as never);
        if (outcome === 'unauthorized') throw new HttpError(401, 'unauthorized', 'the X-Telegram-Bot-Api-Secret-Token header is missing');
        if (outcome === 'forbidden') throw new HttpError(403, 'forbidden', 'the secret token does not match');
        if (outcome === 'not_running') throw new HttpError(503, 'bot_not_running', 'the bot is not receiving updates by webhook now', undefined, [['Retry-After', '5']]);
        return json({ ok: true });
      },
    }),
  ];
}
