/** Consent records, newest first, filtered by person and purpose; record one; withdraw one. */
import { createResource, createSignal, For, Show } from 'solid-js';
import { actionsColumn, DataTable, RowButton, type Column } from '../../components/DataTable.tsx';
import { createActions, Feedback } from '../../components/Feedback.tsx';
import { CheckField, createFilter, FilterForm, FormCard, SelectField, TextField } from '../../components/Form.tsx';
import { formatDateTime, t, type MessageKey } from '../../i18n/index.ts';
import { api } from '../../lib/api.ts';

// The API's choices (control/admin/legal-routes.ts).
const PURPOSES = ['call_recording', 'data_processing', 'marketing'] as const;
const SOURCES = ['call', 'chat', 'web', 'paper', 'admin'] as const;

interface Consent {
  id: number;
  subject: string;
  purpose: string;
  granted: boolean;
  source: string;
  evidence: string | null;
  created_at: string;
  revoked_at: string | null;
}
const purposeLabel = (p: string) => ((PURPOSES as readonly string[]).includes(p) ? t(`legal.purpose.${p}` as MessageKey) : p);
const purposeOptions = () => <For each={PURPOSES}>{(p) => <option value={p}>{purposeLabel(p)}</option>}</For>;

export function Consents() {
  const { filter, draft: filterDraft, set: setFilter, apply } = createFilter({ subject: '', purpose: '' }, () => {});
  const [consents, { refetch }] = createResource(filter, (f) => {
    const p = new URLSearchParams();
    if (f.subject.trim()) p.set('subject', f.subject.trim());
    if (f.purpose) p.set('purpose', f.purpose);
    return api<{ items: Consent[] }>('GET', `/admin/legal/consents?${p}`).then((r) => r.items);
  });
  const { error, notice, run } = createActions(refetch);
  const [subject, setSubject] = createSignal('');
  const [purpose, setPurpose] = createSignal<string>(PURPOSES[0]);
  const [source, setSource] = createSignal<string>('admin');
  const [granted, setGranted] = createSignal(true);
  const [evidence, setEvidence] = createSignal('');

  const record = () =>
    void run(async () => {
      await api('POST', '/admin/legal/consents', { subject: subject().trim(), purpose: purpose(), granted: granted(), source: source(), evidence: evidence().trim() || null });
      setSubject('');
      setEvidence('');
    }, t('common.saved'));
  const revoke = (c: Consent) => {
    if (confirm(t('legal.confirmRevoke', { subject: c.subject, purpose: purposeLabel(c.purpose) }))) void run(() => api('POST', `/admin/legal/consents/${c.id}/revoke`), t('legal.revoked'));
  };

  const columns: Column<Consent>[] = [
    { head: 'msg.when', cell: (c) => formatDateTime(c.created_at) },
    { head: 'legal.subject', cell: (c) => c.subject },
    { head: 'legal.purpose', cell: (c) => purposeLabel(c.purpose) },
    { head: 'legal.answer', cell: (c) => t(c.granted ? 'legal.granted' : 'legal.refused') },
    { head: 'legal.source', cell: (c) => c.source },
    { head: 'legal.evidence', cell: (c) => c.evidence ?? t('common.none') },
    { head: 'legal.withdrawn', cell: (c) => (c.revoked_at ? formatDateTime(c.revoked_at) : t('common.no')) },
    actionsColumn((c) => (
      <Show when={!c.revoked_at}>
        <RowButton label={t('legal.revoke')} of={`${c.subject}, ${purposeLabel(c.purpose)}`} onClick={() => revoke(c)} danger />
      </Show>
    )),
  ];

  return (
    <>
      <h2>{t('legal.consents')}</h2>
      <FilterForm onApply={apply}>
        <TextField label={t('legal.subject')} name="filter-subject" value={filterDraft().subject} onValue={(v) => setFilter({ subject: v })} />
        <SelectField label={t('legal.purpose')} name="filter-purpose" value={filterDraft().purpose} onValue={(v) => setFilter({ purpose: v })}>
          <option value="">{t('msg.all')}</option>
          {purposeOptions()}
        </SelectField>
      </FilterForm>
      <Feedback error={error() ?? consents.error} notice={notice()} />
      <DataTable label={t('legal.consents')} columns={columns} rows={consents.latest} empty={t('legal.noConsents')} />
      <FormCard id="consent-form" title={t('legal.recordConsent')} submit={t('legal.record')} onSubmit={record}>
        <div class="row">
          <TextField label={t('legal.subject')} name="subject" required minLength={3} maxLength={200} autocomplete="off" value={subject()} onValue={setSubject} />
          <SelectField label={t('legal.purpose')} name="purpose" value={purpose()} onValue={setPurpose}>
            {purposeOptions()}
          </SelectField>
          <SelectField label={t('legal.source')} name="source" value={source()} onValue={setSource}>
            <For each={SOURCES}>{(s) => <option value={s}>{t(`legal.source.${s}`)}</option>}</For>
          </SelectField>
        </div>
        <TextField label={t('legal.evidence')} name="evidence" maxLength={2000} value={evidence()} onValue={setEvidence} />
        <CheckField label={t('legal.grantedBox')} name="granted" checked={granted()} onValue={setGranted} />
      </FormCard>
    </>
  );
}
