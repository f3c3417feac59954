/**
 * Usage and limits (operators; limits are changed by admins): what the metered routes (chat, TTS,
 * STT) were used for over a chosen range of days, as bar charts (requests and tokens per kind and
 * answer source, requests per day) from /admin/usage/summary, the records themselves (paged), and
 * the limits the gateway enforces.
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import { BarChart } from '../components/BarChart.tsx';
import { DataTable, type Column } from '../components/DataTable.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { SelectField } from '../components/Form.tsx';
import { formatDateTime, locale, t, type MessageKey } from '../i18n/index.ts';
import { api, can } from '../lib/api.ts';
import type { Page } from '../lib/types.ts';
import { UsageLimits } from './usage/UsageLimits.tsx';

interface SummaryRow {
  kind: string;
  source: string | null;
  requests: number;
  tokens_in: number;
  tokens_out: number;
}
interface UsageRecord {
  id: number;
  at: string;
  subject_type: string;
  subject_id: string;
  kind: string;
  source: string | null;
  units: number;
  tokens_in: number;
  tokens_out: number;
}
const RANGES: Array<{ days: number; label: MessageKey }> = [
  { days: 1, label: 'usage.range.today' },
  { days: 7, label: 'usage.range.week' },
  { days: 30, label: 'usage.range.month' },
];
const LIMIT = 25;
const DAY_MS = 86_400_000;

/** Local midnight `back` days before today. */
function dayStart(back: number): Date {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - back);
  return d;
}
const summary = (from: Date, to?: Date) =>
  api<{ items: SummaryRow[] }>('GET', `/admin/usage/summary?from=${encodeURIComponent(from.toISOString())}${to ? `&to=${encodeURIComponent(to.toISOString())}` : ''}`).then((r) => r.items);
const sourceLabel = (r: SummaryRow) => `${r.kind} · ${r.source ?? t('common.none')}`;

const RECORD_COLUMNS: Column<UsageRecord>[] = [
  { head: 'msg.when', cell: (r) => formatDateTime(r.at) },
  { head: 'usage.subject', cell: (r) => `${r.subject_type}: ${r.subject_id}` },
  { head: 'usage.kind', cell: (r) => r.kind },
  { head: 'usage.source', cell: (r) => r.source ?? t('common.none') },
  { head: 'usage.requests', cell: (r) => r.units },
  { head: 'usage.tokens', cell: (r) => `${r.tokens_in} / ${r.tokens_out}` },
];

export default function Usage() {
  const [days, setDays] = createSignal(7);
  const [offset, setOffset] = createSignal(0);
  const [totals] = createResource(() => (can('operator') ? days() : false), (n) => summary(dayStart(n - 1)));
  // One summary per day: the API sums a range, so a day is a range of its own (at most 30 small queries).
  const [perDay] = createResource(
    () => (can('operator') ? days() : false),
    (n) =>
      Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const from = dayStart(n - 1 - i);
          const rows = await summary(from, new Date(from.getTime() + DAY_MS));
          return { label: new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short' }).format(from), value: rows.reduce((a, r) => a + r.requests, 0) };
        }),
      ),
  );
  const [records] = createResource(
    () => (can('operator') ? { days: days(), offset: offset() } : false),
    (q) => api<Page<UsageRecord>>('GET', `/admin/usage?limit=${LIMIT}&offset=${q.offset}&from=${encodeURIComponent(dayStart(q.days - 1).toISOString())}`),
  );

  return (
    <section>
      <h1>{t('nav.usage')}</h1>
      <Show when={can('operator')} fallback={<p class="muted">{t('usage.operatorOnly')}</p>}>
        <SelectField
          inline
          label={t('usage.range')}
          name="range"
          value={String(days())}
          onValue={(v) => {
            setOffset(0);
            setDays(Number(v));
          }}
        >
          <For each={RANGES}>{(r) => <option value={String(r.days)}>{t(r.label)}</option>}</For>
        </SelectField>
        <ErrorBox error={totals.error ?? perDay.error ?? records.error} />
        <div class="charts">
          <BarChart title={t('usage.chart.requests')} testId="chart-requests" bars={(totals.latest ?? []).map((r) => ({ label: sourceLabel(r), value: r.requests }))} />
          <BarChart title={t('usage.chart.tokens')} testId="chart-tokens" bars={(totals.latest ?? []).map((r) => ({ label: sourceLabel(r), value: r.tokens_in + r.tokens_out }))} />
          <BarChart title={t('usage.chart.perDay')} testId="chart-days" bars={perDay.latest ?? []} />
        </div>
        <h2>{t('usage.records')}</h2>
        <DataTable label={t('usage.records')} columns={RECORD_COLUMNS} rows={records.latest?.items} page={records.latest} onPage={setOffset} />
        <UsageLimits />
      </Show>
    </section>
  );
}
