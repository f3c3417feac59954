/**
 * Telegram bots: connect a bot with its @BotFather token (write-only: the API never returns it),
 * choose who answers (persona, FAQ only or a provider), polling or webhook, who may write to it;
 * start, stop, restart; and each bot's status as this gateway sees it, in words: running,
 * starting, stopped, standby (another gateway on this database runs it) or error (the API's words,
 * with the error id to find Telegram's answer in the log, and when it retries). The list refreshes
 * every few seconds while the view is open, so a start is seen to take.
 */
import { createResource, For, onCleanup, Show } from 'solid-js';
import { actionsColumn, DataTable, RowButton, type Column } from '../components/DataTable.tsx';
import { createActions, Feedback } from '../components/Feedback.tsx';
import { CheckField, createDraft, FormCard, SelectField, TextField } from '../components/Form.tsx';
import { formatDateTime, t, type MessageKey } from '../i18n/index.ts';
import { api, can } from '../lib/api.ts';

type BotState = 'stopped' | 'starting' | 'standby' | 'running' | 'error';
interface Bot {
  id: number;
  name: string;
  has_token: boolean;
  username: string | null;
  enabled: boolean;
  auto_start: boolean;
  persona_id: number | null;
  llm_backend: string | null;
  llm_provider_id: number | null;
  greeting: string | null;
  allowed_user_ids: number[] | null;
  mode: 'polling' | 'webhook';
  reply_with_voice: boolean;
  last_update_at: string | null;
  webhook_url: string | null;
  status: { state: BotState; since: string | null; next_retry_at: string | null; last_error: { message: string; error_id: string; at: string } | null; handling: number };
}
interface Named {
  id: number;
  name: string;
}
interface Draft {
  id: number | null;
  name: string;
  /** Empty on edit: the token stays as it is. */
  token: string;
  persona_id: string;
  /** 'default', 'faq' or a provider id. */
  llm: string;
  mode: 'polling' | 'webhook';
  greeting: string;
  allowed: string;
  enabled: boolean;
  auto_start: boolean;
  reply_with_voice: boolean;
}
const EMPTY: Draft = { id: null, name: '', token: '', persona_id: '', llm: 'default', mode: 'polling', greeting: '', allowed: '', enabled: true, auto_start: true, reply_with_voice: false };
const REFRESH_MS = 3000;

const STATE_LABEL: Record<BotState, MessageKey> = {
  stopped: 'tg.state.stopped',
  starting: 'tg.state.starting',
  standby: 'tg.state.standby',
  running: 'tg.state.running',
  error: 'tg.state.error',
};

export default function Telegram() {
  const [bots, { refetch }] = createResource(() => api<{ items: Bot[] }>('GET', '/admin/telegram/bots').then((r) => r.items));
  const [personas] = createResource(() => api<{ items: Named[] }>('GET', '/admin/personas').then((r) => r.items).catch(() => [] as Named[]));
  const [providers] = createResource(
    () => can('operator'),
    () => api<{ items: Named[] }>('GET', '/admin/llm-providers').then((r) => r.items).catch(() => [] as Named[]),
  );
  const timer = setInterval(() => void refetch(), REFRESH_MS);
  onCleanup(() => clearInterval(timer));
  const { draft, set, load, reset, editing } = createDraft<Draft>(EMPTY);
  const { error, setError, notice, run, remove } = createActions(refetch);

  const edit = (b: Bot) =>
    load({
      id: b.id,
      name: b.name,
      token: '',
      persona_id: b.persona_id === null ? '' : String(b.persona_id),
      llm: b.llm_backend === 'provider' && b.llm_provider_id !== null ? String(b.llm_provider_id) : b.llm_backend === 'faq' ? 'faq' : 'default',
      mode: b.mode,
      greeting: b.greeting ?? '',
      allowed: (b.allowed_user_ids ?? []).join(', '),
      enabled: b.enabled,
      auto_start: b.auto_start,
      reply_with_voice: b.reply_with_voice,
    });
  const save = () => {
    const d = draft();
    const ids = d.allowed
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
    if (ids.some((n) => !Number.isSafeInteger(n) || n <= 0)) {
      setError(new Error(t('tg.badUserIds')));
      return;
    }
    const body: Record<string, unknown> = {
      name: d.name,
      persona_id: d.persona_id ? Number(d.persona_id) : null,
      llm: d.llm === 'default' || d.llm === 'faq' ? { backend: d.llm } : { backend: 'provider', provider_id: Number(d.llm) },
      mode: d.mode,
      greeting: d.greeting.trim() || null,
      allowed_user_ids: ids.length ? ids : null,
      enabled: d.enabled,
      auto_start: d.auto_start,
      reply_with_voice: d.reply_with_voice,
    };
    if (d.token.trim()) body.token = d.token.trim();
    void run(async () => {
      await (d.id === null ? api('POST', '/admin/telegram/bots', body) : api('PATCH', `/admin/telegram/bots/${d.id}`, body));
      reset();
    }, t('common.saved'));
  };
  const action = (b: Bot, what: 'start' | 'stop' | 'restart') => void run(() => api('POST', `/admin/telegram/bots/${b.id}/${what}`));

  const columns: Column<Bot>[] = [
    {
      head: 'tg.name',
      cell: (b) => (
        <>
          {b.name}
          <Show when={!b.enabled}>
            <span class="muted"> ({t('tg.disabled')})</span>
          </Show>
        </>
      ),
    },
    { head: 'tg.username', cell: (b) => (b.username ? `@${b.username}` : t('common.none')) },
    { head: 'tg.mode', cell: (b) => (b.mode === 'webhook' ? t('tg.webhook') : t('tg.polling')) },
    { head: 'tg.status', cell: (b) => <BotStatus bot={b} /> },
    { head: 'tg.lastUpdate', cell: (b) => formatDateTime(b.last_update_at) },
    actionsColumn(
      (b) => (
        <>
          <Show when={b.status.state === 'stopped' || b.status.state === 'error'} fallback={<RowButton label={t('tg.stop')} of={b.name} onClick={() => action(b, 'stop')} />}>
            <RowButton label={t('tg.start')} of={b.name} onClick={() => action(b, 'start')} />
          </Show>
          <RowButton label={t('tg.restart')} of={b.name} onClick={() => action(b, 'restart')} />
          <RowButton label={t('common.edit')} of={b.name} onClick={() => edit(b)} />
          <RowButton label={t('common.delete')} of={b.name} onClick={() => remove(b.name, () => api('DELETE', `/admin/telegram/bots/${b.id}`))} danger />
        </>
      ),
      () => can('operator'),
    ),
  ];

  return (
    <section>
      <h1>{t('nav.telegram')}</h1>
      <Feedback error={error() ?? bots.error} notice={notice()} />
      <DataTable label={t('nav.telegram')} columns={columns} rows={bots()} empty={t('tg.none')} rowId={(b) => `bot-${b.name}`} />
      <Show when={can('operator')} fallback={<p class="muted">{t('common.readOnly')}</p>}>
        <FormCard id="bot-form" title={editing() ? t('tg.editing', { name: draft().name }) : t('tg.new')} editing={editing()} onSubmit={save} onCancel={editing() ? reset : undefined}>
          <div class="row">
            <TextField label={t('tg.name')} name="name" required maxLength={100} value={draft().name} onValue={(v) => set({ name: v })} />
            <TextField
              label={t('tg.token')}
              name="token"
              type="password"
              autocomplete="off"
              required={!editing()}
              placeholder={editing() ? t('tg.tokenKeep') : '123456789:AA…'}
              value={draft().token}
              onValue={(v) => set({ token: v })}
            />
            <SelectField label={t('tg.mode')} name="mode" value={draft().mode} onValue={(v) => set({ mode: v as Draft['mode'] })}>
              <option value="polling">{t('tg.polling')}</option>
              <option value="webhook">{t('tg.webhook')}</option>
            </SelectField>
          </div>
          <div class="row">
            <SelectField label={t('tg.persona')} name="persona_id" value={draft().persona_id} onValue={(v) => set({ persona_id: v })}>
              <option value="">{t('tg.defaultPersona')}</option>
              <For each={personas()}>{(p) => <option value={String(p.id)}>{p.name}</option>}</For>
            </SelectField>
            <SelectField label={t('tg.answers')} name="llm" value={draft().llm} onValue={(v) => set({ llm: v })}>
              <option value="default">{t('tg.llmDefault')}</option>
              <option value="faq">{t('tg.llmFaq')}</option>
              <For each={providers()}>{(p) => <option value={String(p.id)}>{p.name}</option>}</For>
            </SelectField>
          </div>
          <TextField label={t('tg.greeting')} name="greeting" maxLength={4096} value={draft().greeting} onValue={(v) => set({ greeting: v })} />
          <TextField label={t('tg.allowed')} name="allowed_user_ids" inputMode="numeric" placeholder={t('tg.allowedAnyone')} value={draft().allowed} onValue={(v) => set({ allowed: v })} />
          <div class="row">
            <CheckField label={t('tg.enabled')} checked={draft().enabled} onValue={(v) => set({ enabled: v })} />
            <CheckField label={t('tg.autoStart')} checked={draft().auto_start} onValue={(v) => set({ auto_start: v })} />
            <CheckField label={t('tg.voice')} checked={draft().reply_with_voice} onValue={(v) => set({ reply_with_voice: v })} />
          </div>
        </FormCard>
      </Show>
    </section>
  );
}

/** A bot's state in words, with why it is on standby, its last error and when it tries again. */
function BotStatus(props: { bot: Bot }) {
  const status = () => props.bot.status;
  return (
    <span data-testid="bot-status">
      <strong>{t(STATE_LABEL[status().state])}</strong>
      <Show when={status().state === 'standby'}>
        <span class="muted"> {t('tg.standbyWhy')}</span>
      </Show>
      <Show when={status().last_error}>
        {(e) => (
          <span>
            {' '}
            {e().message} <span class="muted">({t('tg.errorId', { id: e().error_id })})</span>
          </span>
        )}
      </Show>
      <Show when={status().next_retry_at}>{(at) => <span class="muted"> {t('tg.retryAt', { at: formatDateTime(at()) })}</span>}</Show>
    </span>
  );
}
