/**
 * Telegram bots: connect a bot with its @BotFather token (write-only: the API never returns it),
 * choose who answers (persona, FAQ only or a provider), polling or webhook, who may write to it;
 * start, stop, restart; and each bot's status as this gateway sees it, in words: running,
 * starting, stopped, standby (another gateway on this database runs it) or error (the API's words,
 * with the error id to find Telegram's answer in the log, and when it retries). The list refreshes
 * every few seconds while the view is open, so a start is seen to take.
 */
import { createResource, createSignal, For, onCleanup, Show } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox.tsx';
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
  const [draft, setDraft] = createSignal<Draft>({ ...EMPTY });
  const [error, setError] = createSignal<unknown>(null);
  const [notice, setNotice] = createSignal('');
  const set = (patch: Partial<Draft>) => setDraft({ ...draft(), ...patch });

  const run = async (what: () => Promise<unknown>, done?: string) => {
    setError(null);
    setNotice('');
    try {
      await what();
      if (done) setNotice(done);
      await refetch();
    } catch (err) {
      setError(err);
    }
  };
  const edit = (b: Bot) =>
    setDraft({
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
  const save = (e: SubmitEvent) => {
    e.preventDefault();
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
      setDraft({ ...EMPTY });
    }, t('common.saved'));
  };
  const action = (b: Bot, what: 'start' | 'stop' | 'restart') => void run(() => api('POST', `/admin/telegram/bots/${b.id}/${what}`));
  const remove = (b: Bot) => {
    if (confirm(t('common.confirmDelete', { name: b.name }))) void run(() => api('DELETE', `/admin/telegram/bots/${b.id}`));
  };

  return (
    <section>
      <h1>{t('nav.telegram')}</h1>
      <ErrorBox error={error() ?? bots.error} />
      <Show when={notice()}>
        <p class="notice" role="status">
          {notice()}
        </p>
      </Show>
      <div class="table-wrap" tabindex="0" role="region" aria-label={t('nav.telegram')}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('tg.name')}</th>
              <th scope="col">{t('tg.username')}</th>
              <th scope="col">{t('tg.mode')}</th>
              <th scope="col">{t('tg.status')}</th>
              <th scope="col">{t('tg.lastUpdate')}</th>
              <Show when={can('operator')}>
                <th scope="col">
                  <span class="muted">{t('common.edit')}</span>
                </th>
              </Show>
            </tr>
          </thead>
          <tbody>
            <Show when={bots()?.length === 0}>
              <tr>
                <td colSpan={6}>{t('tg.none')}</td>
              </tr>
            </Show>
            <For each={bots()}>
              {(b) => (
                <tr data-testid={`bot-${b.name}`}>
                  <td>
                    {b.name}
                    <Show when={!b.enabled}>
                      <span class="muted"> ({t('tg.disabled')})</span>
                    </Show>
                  </td>
                  <td>{b.username ? `@${b.username}` : t('common.none')}</td>
                  <td>{b.mode === 'webhook' ? t('tg.webhook') : t('tg.polling')}</td>
                  <td data-testid="bot-status">
                    <strong>{t(STATE_LABEL[b.status.state])}</strong>
                    <Show when={b.status.state === 'standby'}>
                      <span class="muted"> {t('tg.standbyWhy')}</span>
                    </Show>
                    <Show when={b.status.last_error}>
                      {(e) => (
                        <span>
                          {' '}
                          {e().message} <span class="muted">({t('tg.errorId', { id: e().error_id })})</span>
                        </span>
                      )}
                    </Show>
                    <Show when={b.status.next_retry_at}>
                      {(at) => <span class="muted"> {t('tg.retryAt', { at: formatDateTime(at()) })}</span>}
                    </Show>
                  </td>
                  <td>{formatDateTime(b.last_update_at)}</td>
                  <Show when={can('operator')}>
                    <td class="actions">
                      <Show
                        when={b.status.state === 'stopped' || b.status.state === 'error'}
                        fallback={
                          <button type="button" onClick={() => action(b, 'stop')} aria-label={`${t('tg.stop')}: ${b.name}`}>
                            {t('tg.stop')}
                          </button>
                        }
                      >
                        <button type="button" onClick={() => action(b, 'start')} aria-label={`${t('tg.start')}: ${b.name}`}>
                          {t('tg.start')}
                        </button>
                      </Show>
                      <button type="button" onClick={() => action(b, 'restart')} aria-label={`${t('tg.restart')}: ${b.name}`}>
                        {t('tg.restart')}
                      </button>
                      <button type="button" onClick={() => edit(b)} aria-label={`${t('common.edit')}: ${b.name}`}>
                        {t('common.edit')}
                      </button>
                      <button type="button" class="danger" onClick={() => remove(b)} aria-label={`${t('common.delete')}: ${b.name}`}>
                        {t('common.delete')}
                      </button>
                    </td>
                  </Show>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <Show when={can('operator')} fallback={<p class="muted">{t('common.readOnly')}</p>}>
        <form class="card" onSubmit={save} aria-labelledby="bot-form">
          <h2 id="bot-form">{draft().id === null ? t('tg.new') : t('tg.editing', { name: draft().name })}</h2>
          <div class="row">
            <label>
              {t('tg.name')}
              <input name="name" required maxLength={100} value={draft().name} onInput={(e) => set({ name: e.currentTarget.value })} />
            </label>
            <label>
              {t('tg.token')}
              <input
                name="token"
                type="password"
                autocomplete="off"
                required={draft().id === null}
                placeholder={draft().id === null ? '123456789:AA…' : t('tg.tokenKeep')}
                value={draft().token}
                onInput={(e) => set({ token: e.currentTarget.value })}
              />
            </label>
            <label>
              {t('tg.mode')}
              <select name="mode" value={draft().mode} onChange={(e) => set({ mode: e.currentTarget.value as Draft['mode'] })}>
                <option value="polling">{t('tg.polling')}</option>
                <option value="webhook">{t('tg.webhook')}</option>
              </select>
            </label>
          </div>
          <div class="row">
            <label>
              {t('tg.persona')}
              <select name="persona_id" value={draft().persona_id} onChange={(e) => set({ persona_id: e.currentTarget.value })}>
                <option value="">{t('tg.defaultPersona')}</option>
                <For each={personas()}>{(p) => <option value={String(p.id)}>{p.name}</option>}</For>
              </select>
            </label>
            <label>
              {t('tg.answers')}
              <select name="llm" value={draft().llm} onChange={(e) => set({ llm: e.currentTarget.value })}>
                <option value="default">{t('tg.llmDefault')}</option>
                <option value="faq">{t('tg.llmFaq')}</option>
                <For each={providers()}>{(p) => <option value={String(p.id)}>{p.name}</option>}</For>
              </select>
            </label>
          </div>
          <label>
            {t('tg.greeting')}
            <input name="greeting" maxLength={4096} value={draft().greeting} onInput={(e) => set({ greeting: e.currentTarget.value })} />
          </label>
          <label>
            {t('tg.allowed')}
            <input name="allowed_user_ids" inputMode="numeric" placeholder={t('tg.allowedAnyone')} value={draft().allowed} onInput={(e) => set({ allowed: e.currentTarget.value })} />
          </label>
          <div class="row">
            <label class="inline">
              <input type="checkbox" checked={draft().enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />
              {t('tg.enabled')}
            </label>
            <label class="inline">
              <input type="checkbox" checked={draft().auto_start} onChange={(e) => set({ auto_start: e.currentTarget.checked })} />
              {t('tg.autoStart')}
            </label>
            <label class="inline">
              <input type="checkbox" checked={draft().reply_with_voice} onChange={(e) => set({ reply_with_voice: e.currentTarget.checked })} />
              {t('tg.voice')}
            </label>
          </div>
          <div class="actions">
            <button type="submit" class="primary">
              {draft().id === null ? t('common.add') : t('common.save')}
            </button>
            <Show when={draft().id !== null}>
              <button type="button" onClick={() => setDraft({ ...EMPTY })}>
                {t('common.cancel')}
              </button>
            </Show>
          </div>
        </form>
      </Show>
    </section>
  );
}
