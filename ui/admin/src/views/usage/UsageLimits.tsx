/**
 * The limits the gateway enforces on metered routes (/admin/usage/limits): for everyone together
 * (global) or per API key, user, IP, Telegram bot or widget (one subject, or each separately), on
 * requests or tokens per minute, hour, day or month. Operators read; admins change.
 */
import { createResource, For, Show } from 'solid-js';
import { actionsColumn, DataTable, RowButton, type Column } from '../../components/DataTable.tsx';
import { createActions, Feedback } from '../../components/Feedback.tsx';
import { CheckField, createDraft, FormCard, SelectField, TextField } from '../../components/Form.tsx';
import { formatNumber, t } from '../../i18n/index.ts';
import { api, can } from '../../lib/api.ts';

// The API's choices (control/repositories/usage.ts).
const SUBJECTS = ['global', 'api_key', 'user', 'ip', 'telegram_bot', 'widget'] as const;
const KINDS = ['chat', 'tts', 'stt'] as const;
const METRICS = ['requests', 'tokens'] as const;
const PERIODS = ['minute', 'hour', 'day', 'month'] as const;

interface Limit {
  id: number;
  name: string;
  subject_type: (typeof SUBJECTS)[number];
  subject_id: string | null;
  kind: (typeof KINDS)[number];
  metric: (typeof METRICS)[number];
  period: (typeof PERIODS)[number];
  max_value: number;
  enabled: boolean;
}
interface Draft {
  id: number | null;
  name: string;
  subject_type: Limit['subject_type'];
  subject_id: string;
  kind: Limit['kind'];
  metric: Limit['metric'];
  period: Limit['period'];
  max_value: string;
  enabled: boolean;
}
const EMPTY: Draft = { id: null, name: '', subject_type: 'global', subject_id: '', kind: 'chat', metric: 'requests', period: 'day', max_value: '1000', enabled: true };

const options = (values: readonly string[], prefix: 'usage.subject' | 'usage.metric' | 'usage.period') => (
  <For each={values}>{(v) => <option value={v}>{t(`${prefix}.${v}` as Parameters<typeof t>[0])}</option>}</For>
);

export function UsageLimits() {
  const [limits, { refetch }] = createResource(() => api<{ items: Limit[] }>('GET', '/admin/usage/limits').then((r) => r.items));
  const { draft, set, load, reset, editing } = createDraft<Draft>(EMPTY);
  const { error, notice, run, remove } = createActions(refetch);
  const edit = (l: Limit) => load({ ...l, subject_id: l.subject_id ?? '', max_value: String(l.max_value) });
  const save = () => {
    const d = draft();
    const body = {
      name: d.name,
      subject_type: d.subject_type,
      subject_id: d.subject_type === 'global' ? null : d.subject_id.trim() || null,
      kind: d.kind,
      metric: d.metric,
      period: d.period,
      max_value: Number(d.max_value),
      enabled: d.enabled,
    };
    void run(async () => {
      await (d.id === null ? api('POST', '/admin/usage/limits', body) : api('PATCH', `/admin/usage/limits/${d.id}`, body));
      reset();
    }, t('common.saved'));
  };

  const columns: Column<Limit>[] = [
    { head: 'usage.limitName', cell: (l) => l.name },
    { head: 'usage.appliesTo', cell: (l) => (l.subject_id ? `${t(`usage.subject.${l.subject_type}`)}: ${l.subject_id}` : t(`usage.subject.${l.subject_type}`)) },
    { head: 'usage.kind', cell: (l) => l.kind },
    { head: 'usage.max', cell: (l) => t('usage.maxValue', { max: formatNumber(l.max_value), metric: t(`usage.metric.${l.metric}`), period: t(`usage.period.${l.period}`) }) },
    { head: 'usage.enabled', cell: (l) => (l.enabled ? t('common.yes') : t('common.no')) },
    actionsColumn(
      (l) => (
        <>
          <RowButton label={t('common.edit')} of={l.name} onClick={() => edit(l)} />
          <RowButton label={t('common.delete')} of={l.name} onClick={() => remove(l.name, () => api('DELETE', `/admin/usage/limits/${l.id}`))} danger />
        </>
      ),
      () => can('admin'),
    ),
  ];

  return (
    <>
      <h2>{t('usage.limits')}</h2>
      <Feedback error={error() ?? limits.error} notice={notice()} />
      <DataTable label={t('usage.limits')} columns={columns} rows={limits.latest} empty={t('usage.noLimits')} />
      <Show when={can('admin')} fallback={<p class="muted">{t('usage.adminChanges')}</p>}>
        <FormCard id="limit-form" title={editing() ? t('usage.editingLimit', { name: draft().name }) : t('usage.newLimit')} editing={editing()} onSubmit={save} onCancel={editing() ? reset : undefined}>
          <div class="row">
            <TextField label={t('usage.limitName')} name="name" required maxLength={100} value={draft().name} onValue={(v) => set({ name: v })} />
            <SelectField label={t('usage.kind')} name="kind" value={draft().kind} onValue={(v) => set({ kind: v as Draft['kind'] })}>
              <For each={KINDS}>{(k) => <option value={k}>{k}</option>}</For>
            </SelectField>
          </div>
          <div class="row">
            <SelectField label={t('usage.appliesTo')} name="subject_type" value={draft().subject_type} onValue={(v) => set({ subject_type: v as Draft['subject_type'] })}>
              {options(SUBJECTS, 'usage.subject')}
            </SelectField>
            <TextField label={t('usage.subjectId')} name="subject_id" maxLength={200} disabled={draft().subject_type === 'global'} placeholder={t('usage.subjectIdEach')} value={draft().subject_id} onValue={(v) => set({ subject_id: v })} />
          </div>
          <div class="row">
            <TextField label={t('usage.max')} name="max_value" type="number" min="0" max="1000000000" required value={draft().max_value} onValue={(v) => set({ max_value: v })} />
            <SelectField label={t('usage.metric')} name="metric" value={draft().metric} onValue={(v) => set({ metric: v as Draft['metric'] })}>
              {options(METRICS, 'usage.metric')}
            </SelectField>
            <SelectField label={t('usage.period')} name="period" value={draft().period} onValue={(v) => set({ period: v as Draft['period'] })}>
              {options(PERIODS, 'usage.period')}
            </SelectField>
          </div>
          <CheckField label={t('usage.enabled')} name="enabled" checked={draft().enabled} onValue={(v) => set({ enabled: v })} />
        </FormCard>
      </Show>
    </>
  );
}
