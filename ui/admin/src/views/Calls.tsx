/** Calls, newest first, filtered by caller, channel and status; each opens its page with the turns. */
import { createResource, createSignal } from 'solid-js';
import { DataTable, type Column } from '../components/DataTable.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { createFilter, FilterForm, SelectField, TextField } from '../components/Form.tsx';
import { formatDateTime, formatDuration, t } from '../i18n/index.ts';
import { api } from '../lib/api.ts';
import type { Call, Page } from '../lib/types.ts';

const LIMIT = 25;

const COLUMNS: Column<Call>[] = [
  { head: 'calls.started', cell: (c) => <a href={`/calls/${encodeURIComponent(c.id)}`}>{formatDateTime(c.started_at)}</a> },
  { head: 'calls.caller', cell: (c) => c.caller_number ?? t('common.none') },
  { head: 'calls.channel', cell: (c) => c.channel },
  { head: 'calls.status', cell: (c) => c.status },
  { head: 'calls.duration', cell: (c) => formatDuration(c.duration_ms) },
  { head: 'calls.endReason', cell: (c) => c.end_reason ?? t('common.none') },
];

export default function Calls() {
  const [offset, setOffset] = createSignal(0);
  const { filter, draft, set, apply } = createFilter({ caller: '', channel: '', status: '' }, () => setOffset(0));
  const [page] = createResource(
    () => ({ ...filter(), offset: offset() }),
    (q) => {
      const p = new URLSearchParams({ limit: String(LIMIT), offset: String(q.offset) });
      if (q.caller) p.set('caller', q.caller);
      if (q.channel) p.set('channel', q.channel);
      if (q.status) p.set('status', q.status);
      return api<Page<Call>>('GET', `/admin/calls?${p}`);
    },
  );
  return (
    <section>
      <h1>{t('calls.title')}</h1>
      <FilterForm onApply={apply}>
        <TextField label={t('calls.filterCaller')} name="caller" value={draft().caller} onValue={(v) => set({ caller: v })} />
        <SelectField label={t('calls.filterChannel')} name="channel" value={draft().channel} onValue={(v) => set({ channel: v })}>
          <option value="">{t('msg.all')}</option>
          <option value="ws">ws</option>
          <option value="modem">modem</option>
        </SelectField>
        <TextField label={t('calls.filterStatus')} name="status" value={draft().status} onValue={(v) => set({ status: v })} />
      </FilterForm>
      <ErrorBox error={page.error} />
      <DataTable label={t('calls.title')} columns={COLUMNS} rows={page()?.items} page={page()} onPage={setOffset} />
    </section>
  );
}
