/**
 * One person's rights by their contact: export everything held about them (a JSON file the browser
 * downloads), or erase it (their rows deleted, mentions redacted, recordings removed; recorded in
 * the erasure ledger so an older backup restored later is erased again). Erasure waits until the
 * contact is typed a second time, and then says what it removed.
 */
import { createSignal, For, Show } from 'solid-js';
import { ConfirmByTyping } from '../../components/ConfirmByTyping.tsx';
import { createActions, Feedback } from '../../components/Feedback.tsx';
import { FormCard, TextField } from '../../components/Form.tsx';
import { formatNumber, t } from '../../i18n/index.ts';
import { authorized, api } from '../../lib/api.ts';
import { saveBlob } from '../../lib/download.ts';

interface EraseReport {
  deleted: Record<string, number>;
  redacted: Record<string, number>;
  files_removed: number;
}

/** Table names and counts, only those that changed: "calls 2, messages 1". */
const counts = (m: Record<string, number>) =>
  Object.entries(m)
    .filter(([, n]) => n > 0)
    .map(([table, n]) => `${table} ${formatNumber(n)}`)
    .join(', ') || t('common.none');

export function SubjectRights() {
  const { error, notice, run } = createActions();
  const [subject, setSubject] = createSignal('');
  const [erasing, setErasing] = createSignal<string | null>(null);
  const [report, setReport] = createSignal<{ subject: string; report: EraseReport } | null>(null);
  const contact = () => subject().trim();

  const exportData = () =>
    void run(async () => {
      const res = await authorized('/admin/legal/export', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ subject: contact() }) });
      saveBlob(await res.blob(), 'subject-export.json');
    }, t('legal.exported', { subject: contact() }));
  const erase = (who: string) =>
    void run(async () => {
      setReport({ subject: who, report: await api<EraseReport>('POST', '/admin/legal/erase', { subject: who, confirm: true }) });
      setErasing(null);
      setSubject('');
    });

  return (
    <>
      <FormCard
        id="subject-form"
        title={t('legal.rights')}
        submit={t('legal.export')}
        onSubmit={exportData}
        extra={
          <button
            type="button"
            class="danger"
            disabled={contact().length < 3}
            onClick={() => {
              setReport(null);
              setErasing(contact());
            }}
          >
            {t('legal.erase')}
          </button>
        }
      >
        <p class="muted">{t('legal.rightsHelp')}</p>
        <TextField label={t('legal.contact')} name="contact" required minLength={3} maxLength={200} autocomplete="off" value={subject()} onValue={setSubject} />
      </FormCard>
      <Feedback error={error()} notice={notice()} />
      <Show when={erasing()} keyed>
        {(who) => (
          <ConfirmByTyping
            id="erase-form"
            title={t('legal.eraseTitle', { subject: who })}
            warning={t('legal.eraseWarning')}
            expected={who}
            prompt={t('legal.typeContact', { subject: who })}
            action={t('legal.eraseNow')}
            onConfirm={() => erase(who)}
            onCancel={() => setErasing(null)}
          />
        )}
      </Show>
      <Show when={report()}>
        {(r) => (
          <div class="card" role="status" data-testid="erase-report">
            <p>{t('legal.erased', { subject: r().subject })}</p>
            <dl class="card">
              <For
                each={[
                  [t('legal.deletedRows'), counts(r().report.deleted)],
                  [t('legal.redactedRows'), counts(r().report.redacted)],
                  [t('legal.filesRemoved'), formatNumber(r().report.files_removed)],
                ]}
              >
                {([k, v]) => (
                  <>
                    <dt>{k}</dt>
                    <dd>{v}</dd>
                  </>
                )}
              </For>
            </dl>
          </div>
        )}
      </Show>
    </>
  );
}
