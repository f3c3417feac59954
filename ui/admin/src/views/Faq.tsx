/**
 * The FAQ: entries (add, edit, delete, enable) for operators, read-only for viewers; "test a
 * question" against the live matcher (/admin/faq/match); JSON export and import.
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { formatNumber, t } from '../i18n/index.ts';
import { api, authorized, can } from '../lib/api.ts';

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
  const [draft, setDraft] = createSignal<Draft>({ ...EMPTY });
  const [error, setError] = createSignal<unknown>(null);
  const [notice, setNotice] = createSignal('');
  const [question, setQuestion] = createSignal('');
  const [tested, setTested] = createSignal<{ match: Match | null } | null>(null);
  const [testError, setTestError] = createSignal<unknown>(null);
  const [replace, setReplace] = createSignal(false);

  const edit = (e: Entry) => setDraft({ id: e.id, question: e.question, answer: e.answer, keywords: e.keywords.join(', '), language: e.language ?? '', enabled: e.enabled });
  const set = (patch: Partial<Draft>) => setDraft({ ...draft(), ...patch });
  const run = async (what: () => Promise<unknown>, done?: string) => {
    setError(null);
    setNotice('');
    try {
      await what();
      if (done) setNotice(done);
      await refetch();
    } catch (err) {
      setError(err);
    }
  };

  const save = (e: SubmitEvent) => {
    e.preventDefault();
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
      setDraft({ ...EMPTY });
    }, t('common.saved'));
  };

  const remove = (e: Entry) => {
    if (!confirm(t('common.confirmDelete', { name: e.question }))) return;
    void run(() => api('DELETE', `/admin/faq/${e.id}`));
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

  const exportJson = () =>
    void run(async () => {
      const blob = await (await authorized('/admin/faq/export')).blob();
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = 'faq.json';
      a.click();
      URL.revokeObjectURL(a.href);
    });

  const importJson = (file: File | undefined) => {
    if (!file) return;
    void run(async () => {
      const body = JSON.parse(await file.text()) as unknown;
      const r = await api<{ imported?: number; count?: number }>('POST', `/admin/faq/import?mode=${replace() ? 'replace' : 'append'}`, body);
      setNotice(t('faq.imported', { count: r.imported ?? r.count ?? 0 }));
    });
  };

  return (
    <section>
      <h1>{t('faq.title')}</h1>

      <form class="card" onSubmit={test} aria-labelledby="faq-test">
        <h2 id="faq-test">{t('faq.test')}</h2>
        <div class="row">
          <label>
            {t('faq.question')}
            <input name="test-question" required value={question()} onInput={(e) => setQuestion(e.currentTarget.value)} />
          </label>
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
        <form class="card" onSubmit={save} aria-labelledby="faq-form">
          <h2 id="faq-form">{draft().id === null ? t('faq.new') : t('faq.editing', { id: String(draft().id) })}</h2>
          <label>
            {t('faq.question')}
            <input name="question" required maxLength={2000} value={draft().question} onInput={(e) => set({ question: e.currentTarget.value })} />
          </label>
          <label>
            {t('faq.answer')}
            <textarea name="answer" required maxLength={10000} value={draft().answer} onInput={(e) => set({ answer: e.currentTarget.value })} />
          </label>
          <div class="row">
            <label>
              {t('faq.keywords')}
              <input name="keywords" value={draft().keywords} onInput={(e) => set({ keywords: e.currentTarget.value })} />
            </label>
            <label>
              {t('faq.language')}
              <input name="language" maxLength={16} value={draft().language} onInput={(e) => set({ language: e.currentTarget.value })} />
            </label>
          </div>
          <label class="inline">
            <input type="checkbox" name="enabled" checked={draft().enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />
            {t('faq.enabled')}
          </label>
          <div class="actions">
            <button type="submit" class="primary">
              {draft().id === null ? t('common.add') : t('common.save')}
            </button>
            <Show when={draft().id !== null}>
              <button type="button" onClick={() => setDraft({ ...EMPTY })}>
                {t('common.cancel')}
              </button>
            </Show>
          </div>
        </form>
      </Show>

      <ErrorBox error={error() ?? entries.error} />
      <Show when={notice()}>
        <p class="notice" role="status">
          {notice()}
        </p>
      </Show>

      <div class="actions">
        <button type="button" onClick={exportJson}>
          {t('faq.export')}
        </button>
        <Show when={can('operator')}>
          <label class="inline">
            {t('faq.import')}
            <input type="file" name="import" accept="application/json,.json" onChange={(e) => importJson(e.currentTarget.files?.[0])} />
          </label>
          <label class="inline">
            <input type="checkbox" name="replace" checked={replace()} onChange={(e) => setReplace(e.currentTarget.checked)} />
            {t('faq.importReplace')}
          </label>
        </Show>
      </div>

      <div class="table-wrap" tabindex="0" role="region" aria-label={t('faq.title')}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('faq.question')}</th>
              <th scope="col">{t('faq.answer')}</th>
              <th scope="col">{t('faq.enabled')}</th>
              <Show when={can('operator')}>
                <th scope="col">
                  <span class="muted">{t('common.edit')}</span>
                </th>
              </Show>
            </tr>
          </thead>
          <tbody>
            <Show when={entries()?.length === 0}>
              <tr>
                <td colSpan={4}>{t('common.empty')}</td>
              </tr>
            </Show>
            <For each={entries()}>
              {(e) => (
                <tr>
                  <td>{e.question}</td>
                  <td>{e.answer}</td>
                  <td>{e.enabled ? t('common.yes') : t('common.no')}</td>
                  <Show when={can('operator')}>
                    <td class="actions">
                      <button type="button" onClick={() => edit(e)} aria-label={`${t('common.edit')}: ${e.question}`}>
                        {t('common.edit')}
                      </button>
                      <button type="button" class="danger" onClick={() => remove(e)} aria-label={`${t('common.delete')}: ${e.question}`}>
                        {t('common.delete')}
                      </button>
                    </td>
                  </Show>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </section>
  );
}
