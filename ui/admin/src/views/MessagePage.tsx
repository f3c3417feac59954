/** One message: who, how to call back, why, its call, and the state of each notification about it. */
import { createResource, createSignal, For, Show } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { formatDateTime, t } from '../i18n/index.ts';
import { api, can } from '../lib/api.ts';
import type { Message } from '../lib/types.ts';

export default function MessagePage(props: { params: Record<string, string> }) {
  const [msg, { mutate }] = createResource(() => props.params.id, (id) => api<Message>('GET', `/admin/messages/${encodeURIComponent(id)}`));
  const [error, setError] = createSignal<unknown>(null);
  const mark = async (to: 'new' | 'handled') => {
    setError(null);
    try {
      mutate(await api<Message>('PATCH', `/admin/messages/${encodeURIComponent(props.params.id)}`, { status: to }));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section>
      <p>
        <a href="/messages">{t('msg.back')}</a>
      </p>
      <ErrorBox error={error() ?? msg.error} />
      <Show when={msg()}>
        {(m) => (
          <>
            <h1>{m().caller_name ?? m().caller_id ?? t(m().kind === 'message' ? 'msg.kind.message' : 'msg.kind.human_requested')}</h1>
            <dl class="card">
              <dt>{t('msg.when')}</dt>
              <dd>{formatDateTime(m().created_at)}</dd>
              <dt>{t('msg.callback')}</dt>
              <dd>{m().callback_text ?? m().callback_number ?? t('common.none')}</dd>
              <dt>{t('msg.reason')}</dt>
              <dd>{m().reason ?? t('common.none')}</dd>
              <dt>{t('msg.channel')}</dt>
              <dd>{m().channel}</dd>
              <dt>{t('msg.status')}</dt>
              <dd>
                {t(m().status === 'new' ? 'msg.status.new' : 'msg.status.handled')}
                <Show when={m().handled_at}> ({formatDateTime(m().handled_at)}{m().handled_by?.username ? `, ${m().handled_by!.username}` : ''})</Show>
              </dd>
            </dl>
            <div class="actions">
              <Show when={m().call_id}>
                <a href={`/calls/${encodeURIComponent(m().call_id!)}`}>{t('msg.openCall')}</a>
              </Show>
              <Show when={can('operator')}>
                <button type="button" onClick={() => void mark(m().status === 'new' ? 'handled' : 'new')}>
                  {m().status === 'new' ? t('msg.markHandled') : t('msg.markNew')}
                </button>
              </Show>
            </div>
            <h2>{t('msg.deliveries')}</h2>
            <Show when={m().deliveries.length} fallback={<p class="muted">{t('common.empty')}</p>}>
              <ul>
                <For each={m().deliveries}>
                  {(d) => (
                    <li>
                      {t('msg.delivery', { channel: d.channel_name, status: d.status, attempts: d.attempts })}
                      <Show when={d.last_error}>
                        <span class="muted"> — {d.last_error}</span>
                      </Show>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}
