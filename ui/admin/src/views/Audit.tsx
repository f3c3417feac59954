/**
 * The audit log (admins): every change and every login, newest first, filtered by actor, action (a
 * trailing dot matches a prefix: `faq.`) and target, paged; CSV export of what the filter matches.
 */
import { createResource, createSignal, Show } from 'solid-js';
import { DataTable, type Column } from '../components/DataTable.tsx';
import { createActions, Feedback } from '../components/Feedback.tsx';
import { createFilter, FilterForm, TextField } from '../components/Form.tsx';
import { formatDateTime, t } from '../i18n/index.ts';
import { api, authorized, can } from '../lib/api.ts';
import { saveBlob } from '../lib/download.ts';
import type { Page } from '../lib/types.ts';

interface Entry {
  id: number;
  at: string;
  actor_type: string;
  actor_name: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  status: number | null;
  details: Record<string, unknown> | null;
}
type Filter = Record<'actor' | 'action' | 'target', string>;
const LIMIT = 50;

function params(f: Filter): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v.trim()) p.set(k, v.trim());
  return p;
}

const COLUMNS: Column<Entry>[] = [
  { head: 'msg.when', cell: (e) => formatDateTime(e.at) },
  { head: 'audit.actor', cell: (e) => e.actor_name ?? e.actor_type },
  { head: 'audit.action', cell: (e) => e.action },
  { head: 'audit.target', cell: (e) => e.target ?? t('common.none') },
  { head: 'audit.status', cell: (e) => e.status ?? t('common.none'), class: (e) => (e.status !== null && e.status >= 400 ? 'status-error' : undefined) },
  { head: 'audit.ip', cell: (e) => e.ip ?? t('common.none') },
  { head: 'dash.details', cell: (e) => (e.details ? JSON.stringify(e.details) : ''), class: () => 'muted' },
];

export default function Audit() {
  const [offset, setOffset] = createSignal(0);
  const { filter, draft, set, apply } = createFilter<Filter>({ actor: '', action: '', target: '' }, () => setOffset(0));
  const { error, run } = createActions();
  const [page] = createResource(
    () => (can('admin') ? { f: filter(), offset: offset() } : false),
    (q) => {
      const p = params(q.f);
      p.set('limit', String(LIMIT));
      p.set('offset', String(q.offset));
      return api<Page<Entry>>('GET', `/admin/audit?${p}`);
    },
  );
  const exportCsv = () =>
    void run(async () => {
      const p = params(filter());
      p.set('format', 'csv');
      saveBlob(await (await authorized(`/admin/audit/export?${p}`)).blob(), 'audit.csv');
    });
  return (
    <section>
      <h1>{t('nav.audit')}</h1>
      <Show when={can('admin')} fallback={<p class="muted">{t('audit.adminOnly')}</p>}>
        <FilterForm
          onApply={apply}
          extra={
            <button type="button" onClick={exportCsv}>
              {t('audit.export')}
            </button>
          }
        >
          <TextField label={t('audit.actor')} name="actor" value={draft().actor} onValue={(v) => set({ actor: v })} />
          <TextField label={t('audit.action')} name="action" placeholder="faq." value={draft().action} onValue={(v) => set({ action: v })} />
          <TextField label={t('audit.target')} name="target" value={draft().target} onValue={(v) => set({ target: v })} />
        </FilterForm>
        <Feedback error={error() ?? page.error} />
        <DataTable label={t('nav.audit')} columns={COLUMNS} rows={page()?.items} page={page()} onPage={setOffset} />
      </Show>
    </section>
  );
}
