/** The owner's inbox: new or handled messages, newest first; each opens its page (call link, notifications). */
import { createResource, createSignal, For, Show } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Pager } from '../components/Pager.tsx';
import { formatDateTime, t } from '../i18n/index.ts';
import { api, can } from '../lib/api.ts';
import { query } from '../lib/router.ts';
import type { Message, Page } from '../lib/types.ts';

const LIMIT = 25;
type StatusFilter = '' | 'new' | 'handled';

export default function Messages() {
  const initial = query().get('status');
  const [status, setStatus] = createSignal<StatusFilter>(initial === 'new' || initial === 'handled' ? initial : '');
  const [offset, setOffset] = createSignal(0);
  const [error, setError] = createSignal<unknown>(null);
  const [page, { refetch }] = createResource(
    () => ({ status: status(), offset: offset() }),
    (q) => api<Page<Message>>('GET', `/admin/messages?limit=${LIMIT}&offset=${q.offset}${q.status ? `&status=${q.status}` : ''}`),
  );
  const mark = async (m: Message, to: 'new' | 'handled') => {
    setError(null);
    try {
      await api('PATCH', `/admin/messages/${encodeURIComponent(m.id)}`, { status: to });
      await refetch();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section>
      <h1>{t('msg.title')}</h1>
      <label class="inline">
        {t('msg.filter')}
        <select
          name="status"
          value={status()}
          onChange={(e) => {
            setOffset(0);
            setStatus(e.currentTarget.value as StatusFilter);
          }}
        >
          <option value="">{t('msg.all')}</option>
          <option value="new">{t('msg.status.new')}</option>
          <option value="handled">{t('msg.status.handled')}</option>
        </select>
      </label>
      <ErrorBox error={error() ?? page.error} />
      <div class="table-wrap" tabindex="0" role="region" aria-label={t('msg.title')}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('msg.when')}</th>
              <th scope="col">{t('msg.from')}</th>
              <th scope="col">{t('msg.callback')}</th>
              <th scope="col">{t('msg.reason')}</th>
              <th scope="col">{t('msg.channel')}</th>
              <th scope="col">{t('msg.status')}</th>
            </tr>
          </thead>
          <tbody>
            <Show when={page()?.items.length === 0}>
              <tr>
                <td colSpan={6}>{t('common.empty')}</td>
              </tr>
            </Show>
            <For each={page()?.items}>
              {(m) => (
                <tr>
                  <td>
                    <a href={`/messages/${encodeURIComponent(m.id)}`}>{formatDateTime(m.created_at)}</a>
                  </td>
                  <td>{m.caller_name ?? m.caller_id ?? t('common.none')}</td>
                  <td>{m.callback_text ?? m.callback_number ?? t('common.none')}</td>
                  <td>
                    {m.kind === 'human_requested' ? <strong>{t('msg.kind.human_requested')}: </strong> : null}
                    {m.reason ?? t('common.none')}
                  </td>
                  <td>{m.channel}</td>
                  <td>
                    {t(m.status === 'new' ? 'msg.status.new' : 'msg.status.handled')}
                    <Show when={can('operator')}>
                      {' '}
                      <button type="button" onClick={() => void mark(m, m.status === 'new' ? 'handled' : 'new')}>
                        {m.status === 'new' ? t('msg.markHandled') : t('msg.markNew')}
                      </button>
                    </Show>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <Show when={page()}>{(p) => <Pager offset={p().offset} limit={p().limit} total={p().total} onChange={setOffset} />}</Show>
    </section>
  );
}
