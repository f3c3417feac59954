/**
 * The SMS log (both directions, newest first, filtered by direction, paged) and, while a modem is
 * attached, sending one. Sent and failed messages are logged by the API; received ones by the
 * gateway as the modem hands them over.
 */
import { createResource, createSignal, Show } from 'solid-js';
import { DataTable, type Column } from '../../components/DataTable.tsx';
import { createActions, Feedback } from '../../components/Feedback.tsx';
import { FormCard, SelectField, TextArea, TextField } from '../../components/Form.tsx';
import { formatDateTime, formatNumber, t } from '../../i18n/index.ts';
import { api, can } from '../../lib/api.ts';
import { poll } from '../../lib/poll.ts';

interface Sms {
  id: number;
  direction: 'in' | 'out';
  phone_number: string;
  body: string;
  status: string;
  created_at: string;
}
const LIMIT = 25;
/** The longest text the API sends (the modem splits it into parts). */
const MAX_TEXT = 1600;

const COLUMNS: Column<Sms>[] = [
  { head: 'msg.when', cell: (m) => formatDateTime(m.created_at) },
  { head: 'tel.sms.direction', cell: (m) => t(m.direction === 'in' ? 'tel.sms.in' : 'tel.sms.out') },
  { head: 'tel.number', cell: (m) => m.phone_number },
  { head: 'tel.sms.text', cell: (m) => m.body },
  { head: 'tel.sms.status', cell: (m) => m.status, class: (m) => (m.status === 'failed' ? 'status-error' : undefined) },
];

export function SmsPanel(props: { canSend: boolean; refreshMs: number }) {
  const [direction, setDirection] = createSignal<'' | 'in' | 'out'>('');
  const [offset, setOffset] = createSignal(0);
  const [page, { refetch }] = createResource(
    () => ({ direction: direction(), offset: offset() }),
    (q) =>
      api<{ items: Sms[]; total: number }>('GET', `/admin/gsm/sms?limit=${LIMIT}&offset=${q.offset}${q.direction ? `&direction=${q.direction}` : ''}`).then((r) => ({
        ...r,
        limit: LIMIT,
        offset: q.offset,
      })),
  );
  // Received messages arrive without reload.
  poll(refetch, props.refreshMs);
  const { error, notice, run } = createActions(refetch);
  const [to, setTo] = createSignal('');
  const [text, setText] = createSignal('');
  const send = () =>
    void run(async () => {
      await api('POST', '/admin/gsm/sms', { to: to().trim(), text: text() });
      setText('');
    }, t('tel.sms.sent', { number: to().trim() }));

  return (
    <>
      <h2 id="sms-title">{t('tel.sms.title')}</h2>
      <Show when={props.canSend && can('operator')}>
        <FormCard id="sms-form" title={t('tel.sms.send')} submit={t('tel.sms.sendButton')} onSubmit={send}>
          <TextField label={t('tel.number')} name="to" type="tel" required autocomplete="off" value={to()} onValue={setTo} />
          <TextArea label={t('tel.sms.text')} name="text" required maxLength={MAX_TEXT} value={text()} onValue={setText} />
          <p class="muted">{t('tel.sms.length', { n: formatNumber(text().length), max: formatNumber(MAX_TEXT) })}</p>
        </FormCard>
      </Show>
      <Feedback error={error() ?? page.error} notice={notice()} />
      <SelectField
        inline
        label={t('tel.sms.filter')}
        name="direction"
        value={direction()}
        onValue={(v) => {
          setOffset(0);
          setDirection(v as '' | 'in' | 'out');
        }}
      >
        <option value="">{t('msg.all')}</option>
        <option value="in">{t('tel.sms.in')}</option>
        <option value="out">{t('tel.sms.out')}</option>
      </SelectField>
      <DataTable label={t('tel.sms.title')} columns={COLUMNS} rows={page.latest?.items} empty={t('tel.sms.none')} page={page.latest} onPage={setOffset} />
    </>
  );
}
