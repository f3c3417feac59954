/** The owner's inbox: new or handled messages, newest first; each opens its page (call link, notifications). */
import { createResource, createSignal, Show } from 'solid-js';
import { DataTable, type Column } from '../components/DataTable.tsx';
import { createActions, Feedback } from '../components/Feedback.tsx';
import { SelectField } from '../components/Form.tsx';
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
  const [page, { refetch }] = createResource(
    () => ({ status: status(), offset: offset() }),
    (q) => api<Page<Message>>('GET', `/admin/messages?limit=${LIMIT}&offset=${q.offset}${q.status ? `&status=${q.status}` : ''}`),
  );
  const { error, run } = createActions(refetch);
  const mark = (m: Message, to: 'new' | 'handled') => void run(() => api('PATCH', `/admin/messages/${encodeURIComponent(m.id)}`, { status: to }));
  const columns: Column<Message>[] = [
    { head: 'msg.when', cell: (m) => <a href={`/messages/${encodeURIComponent(m.id)}`}>{formatDateTime(m.created_at)}</a> },
    { head: 'msg.from', cell: (m) => m.caller_name ?? m.caller_id ?? t('common.none') },
    { head: 'msg.callback', cell: (m) => m.callback_text ?? m.callback_number ?? t('common.none') },
    {
      head: 'msg.reason',
      cell: (m) => (
        <>
          {m.kind === 'human_requested' ? <strong>{t('msg.kind.human_requested')}: </strong> : null}
          {m.reason ?? t('common.none')}
        </>
      ),
    },
    { head: 'msg.channel', cell: (m) => m.channel },
    {
      head: 'msg.status',
      cell: (m) => (
        <>
          {t(m.status === 'new' ? 'msg.status.new' : 'msg.status.handled')}
          <Show when={can('operator')}>
            {' '}
            <button type="button" onClick={() => mark(m, m.status === 'new' ? 'handled' : 'new')}>
              {m.status === 'new' ? t('msg.markHandled') : t('msg.markNew')}
            </button>
          </Show>
        </>
      ),
    },
  ];
  return (
    <section>
      <h1>{t('msg.title')}</h1>
      <SelectField
        inline
        label={t('msg.filter')}
        name="status"
        value={status()}
        onValue={(v) => {
          setOffset(0);
          setStatus(v as StatusFilter);
        }}
      >
        <option value="">{t('msg.all')}</option>
        <option value="new">{t('msg.status.new')}</option>
        <option value="handled">{t('msg.status.handled')}</option>
      </SelectField>
      <Feedback error={error() ?? page.error} />
      <DataTable label={t('msg.title')} columns={columns} rows={page()?.items} page={page()} onPage={setOffset} />
    </section>
  );
}
