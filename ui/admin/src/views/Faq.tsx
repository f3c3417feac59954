/**
 * The FAQ: entries (add, edit, delete, enable) for operators, read-only for viewers; "test a
 * question" against the live matcher (/admin/faq/match); JSON export and import.
 */
import { createResource, createSignal, Show } from 'solid-js';
import { actionsColumn, DataTable, RowButton, type Column } from '../components/DataTable.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { createActions, Feedback } from '../components/Feedback.tsx';
import { CheckField, createDraft, FormCard, TextArea, TextField } from '../components/Form.tsx';
import { formatNumber, t } from '../i18n/index.ts';
import { api, authorized, can } from '../lib/api.ts';
import { saveBlob } from '../lib/download.ts';

interface Entry {
  id: number;
  question: string;
  answer: string;
  keywords: string[];
  language: string | null;
  enabled: boolean;
}
interface Match {
  id: number | string;
  question: string;
  answer: string;
  score: number;
  /** The question or keyword that matched best. */
  matched: string;
}

interface Draft {
  id: number | null;
  question: string;
  answer: string;
  keywords: string;
  language: string;
  enabled: boolean;
}
const EMPTY: Draft = { id: null, question: '', answer: '', keywords: '', language: '', enabled: true };

export default function Faq() {
  const [entries, { refetch }] = createResource(() => api<{ items: Entry[] }>('GET', '/admin/faq').then((r) => r.items));
  const { draft, set, load, reset, editing } = createDraft<Draft>(EMPTY);
  const { error, notice, setNotice, run, remove } = createActions(refetch);
  const [question, setQuestion] = createSignal('');
  const [tested, setTested] = createSignal<{ match: Match | null } | null>(null);
  const [testError, setTestError] = createSignal<unknown>(null);
  const [replace, setReplace] = createSignal(false);

  const edit = (e: Entry) => load({ id: e.id, question: e.question, answer: e.answer, keywords: e.keywords.join(', '), language: e.language ?? '', enabled: e.enabled });

  const save = () => {
    const d = draft();
    const body = {
      question: d.question,
      answer: d.answer,
      keywords: d.keywords.split(',').map((k) => k.trim()).filter(Boolean),
      language: d.language.trim() || null,
      enabled: d.enabled,
    };
    void run(async () => {
      await (d.id === null ? api('POST', '/admin/faq', body) : api('PATCH', `/admin/faq/${d.id}`, body));
      reset();
    }, t('common.saved'));
  };

  const test = async (e: SubmitEvent) => {
    e.preventDefault();
    setTestError(null);
    try {
      setTested(await api<{ match: Match | null }>('GET', `/admin/faq/match?question=${encodeURIComponent(question())}`));
    } catch (err) {
      setTestError(err);
    }
  };

  const exportJson = () => void run(async () => saveBlob(await (await authorized('/admin/faq/export')).blob(), 'faq.json'));

  const importJson = (file: File | undefined) => {
    if (!file) return;
    void run(async () => {
      const body = JSON.parse(await file.text()) as unknown;
      const r = await api<{ imported?: number; count?: number }>('POST', `/admin/faq/import?mode=${replace() ? 'replace' : 'append'}`, body);
      setNotice(t('faq.imported', { count: r.imported ?? r.count ?? 0 }));
    });
  };

  const columns: Column<Entry>[] = [
    { head: 'faq.question', cell: (e) => e.question },
    { head: 'faq.answer', cell: (e) => e.answer },
    { head: 'faq.enabled', cell: (e) => (e.enabled ? t('common.yes') : t('common.no')) },
    actionsColumn(
      (e) => (
        <>
          <RowButton label={t('common.edit')} of={e.question} onClick={() => edit(e)} />
          <RowButton label={t('common.delete')} of={e.question} onClick={() => remove(e.question, () => api('DELETE', `/admin/faq/${e.id}`))} danger />
        </>
      ),
      () => can('operator'),
    ),
  ];

  return (
    <section>
      <h1>{t('faq.title')}</h1>

      <form class="card" onSubmit={test} aria-labelledby="faq-test">
        <h2 id="faq-test">{t('faq.test')}</h2>
        <div class="row">
          <TextField label={t('faq.question')} name="test-question" required value={question()} onValue={setQuestion} />
          <button type="submit">{t('faq.testButton')}</button>
        </div>
        <ErrorBox error={testError()} />
        <Show when={tested()}>
          {(r) => (
            <div role="status" data-testid="faq-match">
              <Show when={r().match} fallback={<p>{t('faq.noMatch')}</p>}>
                {(m) => (
                  <>
                    <p>{t('faq.match', { id: String(m().id), score: formatNumber(m().score, { maximumFractionDigits: 3 }) })}</p>
                    <p>
                      <strong>{m().question}</strong> — {m().answer}
                    </p>
                    <p class="muted">{t('faq.matchedWords', { words: m().matched })}</p>
                  </>
                )}
              </Show>
            </div>
          )}
        </Show>
      </form>

      <Show when={can('operator')} fallback={<p class="muted">{t('common.readOnly')}</p>}>
        <FormCard id="faq-form" title={editing() ? t('faq.editing', { id: String(draft().id) }) : t('faq.new')} editing={editing()} onSubmit={save} onCancel={editing() ? reset : undefined}>
          <TextField label={t('faq.question')} name="question" required maxLength={2000} value={draft().question} onValue={(v) => set({ question: v })} />
          <TextArea label={t('faq.answer')} name="answer" required maxLength={10000} value={draft().answer} onValue={(v) => set({ answer: v })} />
          <div class="row">
            <TextField label={t('faq.keywords')} name="keywords" value={draft().keywords} onValue={(v) => set({ keywords: v })} />
            <TextField label={t('faq.language')} name="language" maxLength={16} value={draft().language} onValue={(v) => set({ language: v })} />
          </div>
          <CheckField label={t('faq.enabled')} name="enabled" checked={draft().enabled} onValue={(v) => set({ enabled: v })} />
        </FormCard>
      </Show>

      <Feedback error={error() ?? entries.error} notice={notice()} />

      <div class="actions">
        <button type="button" onClick={exportJson}>
          {t('faq.export')}
        </button>
        <Show when={can('operator')}>
          <label class="inline">
            {t('faq.import')}
            <input type="file" name="import" accept="application/json,.json" onChange={(e) => importJson(e.currentTarget.files?.[0])} />
          </label>
          <CheckField label={t('faq.importReplace')} name="replace" checked={replace()} onValue={setReplace} />
        </Show>
      </div>

      <DataTable label={t('faq.title')} columns={columns} rows={entries()} />
    </section>
  );
}
