/**
 * Personas: who answers (name, language, greeting, system prompt, LLM provider); one is the
 * default. Operators change them; viewers read. The voice (TTS preset) and dialogue settings are
 * kept as they are by this form (the TTS view will choose voices).
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { t } from '../i18n/index.ts';
import { api, can } from '../lib/api.ts';

interface Persona {
  id: number;
  name: string;
  system_prompt: string;
  greeting: string | null;
  language: string | null;
  llm_provider_id: number | null;
  is_default: boolean;
}
interface Provider {
  id: number;
  name: string;
  model: string;
}
interface Draft {
  id: number | null;
  name: string;
  language: string;
  greeting: string;
  system_prompt: string;
  llm_provider_id: string;
}
const EMPTY: Draft = { id: null, name: '', language: '', greeting: '', system_prompt: '', llm_provider_id: '' };

export default function Personas() {
  const [personas, { refetch }] = createResource(() => api<{ items: Persona[] }>('GET', '/admin/personas').then((r) => r.items));
  // Providers are listed to operators; a viewer's form is not shown anyway.
  const [providers] = createResource(
    () => can('operator'),
    () => api<{ items: Provider[] }>('GET', '/admin/llm-providers').then((r) => r.items),
  );
  const [draft, setDraft] = createSignal<Draft>({ ...EMPTY });
  const [error, setError] = createSignal<unknown>(null);
  const [notice, setNotice] = createSignal('');
  const set = (patch: Partial<Draft>) => setDraft({ ...draft(), ...patch });
  const providerName = (id: number | null) => (id === null ? t('personas.defaultChain') : (providers()?.find((p) => p.id === id)?.name ?? `#${id}`));

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
  const edit = (p: Persona) =>
    setDraft({ id: p.id, name: p.name, language: p.language ?? '', greeting: p.greeting ?? '', system_prompt: p.system_prompt, llm_provider_id: p.llm_provider_id === null ? '' : String(p.llm_provider_id) });
  const save = (e: SubmitEvent) => {
    e.preventDefault();
    const d = draft();
    const body = {
      name: d.name,
      language: d.language.trim() || null,
      greeting: d.greeting.trim() || null,
      system_prompt: d.system_prompt,
      llm_provider_id: d.llm_provider_id ? Number(d.llm_provider_id) : null,
    };
    void run(async () => {
      await (d.id === null ? api('POST', '/admin/personas', body) : api('PATCH', `/admin/personas/${d.id}`, body));
      setDraft({ ...EMPTY });
    }, t('common.saved'));
  };
  const remove = (p: Persona) => {
    if (confirm(t('common.confirmDelete', { name: p.name }))) void run(() => api('DELETE', `/admin/personas/${p.id}`));
  };

  return (
    <section>
      <h1>{t('personas.title')}</h1>
      <ErrorBox error={error() ?? personas.error} />
      <Show when={notice()}>
        <p class="notice" role="status">
          {notice()}
        </p>
      </Show>
      <div class="table-wrap" tabindex="0" role="region" aria-label={t('personas.title')}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('personas.name')}</th>
              <th scope="col">{t('personas.language')}</th>
              <th scope="col">{t('personas.greeting')}</th>
              <th scope="col">{t('personas.llm')}</th>
              <th scope="col">{t('personas.default')}</th>
              <Show when={can('operator')}>
                <th scope="col">
                  <span class="muted">{t('common.edit')}</span>
                </th>
              </Show>
            </tr>
          </thead>
          <tbody>
            <Show when={personas()?.length === 0}>
              <tr>
                <td colSpan={6}>{t('personas.none')}</td>
              </tr>
            </Show>
            <For each={personas()}>
              {(p) => (
                <tr>
                  <td>{p.name}</td>
                  <td>{p.language ?? t('common.none')}</td>
                  <td>{p.greeting ?? t('common.none')}</td>
                  <td>{providerName(p.llm_provider_id)}</td>
                  <td>{p.is_default ? t('common.yes') : t('common.no')}</td>
                  <Show when={can('operator')}>
                    <td class="actions">
                      <button type="button" onClick={() => edit(p)} aria-label={`${t('common.edit')}: ${p.name}`}>
                        {t('common.edit')}
                      </button>
                      <Show when={!p.is_default}>
                        <button type="button" onClick={() => void run(() => api('POST', `/admin/personas/${p.id}/default`), t('common.saved'))} aria-label={`${t('personas.makeDefault')}: ${p.name}`}>
                          {t('personas.makeDefault')}
                        </button>
                      </Show>
                      <button type="button" class="danger" onClick={() => remove(p)} aria-label={`${t('common.delete')}: ${p.name}`}>
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
      <Show when={can('operator')} fallback={<p class="muted">{t('common.readOnly')}</p>}>
        <form class="card" onSubmit={save} aria-labelledby="persona-form">
          <h2 id="persona-form">{draft().id === null ? t('personas.new') : t('personas.editing', { name: draft().name })}</h2>
          <div class="row">
            <label>
              {t('personas.name')}
              <input name="name" required maxLength={100} value={draft().name} onInput={(e) => set({ name: e.currentTarget.value })} />
            </label>
            <label>
              {t('personas.language')}
              <input name="language" maxLength={35} placeholder="en, ru" value={draft().language} onInput={(e) => set({ language: e.currentTarget.value })} />
            </label>
            <label>
              {t('personas.llm')}
              <select name="llm_provider_id" value={draft().llm_provider_id} onChange={(e) => set({ llm_provider_id: e.currentTarget.value })}>
                <option value="">{t('personas.defaultChain')}</option>
                <For each={providers()}>{(p) => <option value={String(p.id)}>{`${p.name} (${p.model})`}</option>}</For>
              </select>
            </label>
          </div>
          <label>
            {t('personas.greeting')}
            <input name="greeting" maxLength={2000} value={draft().greeting} onInput={(e) => set({ greeting: e.currentTarget.value })} />
          </label>
          <label>
            {t('personas.prompt')}
            <textarea name="system_prompt" required maxLength={20000} value={draft().system_prompt} onInput={(e) => set({ system_prompt: e.currentTarget.value })} />
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
    </section>
  );
}
