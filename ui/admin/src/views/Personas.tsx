/**
 * Personas: who answers (name, language, greeting, system prompt, LLM provider); one is the
 * default. Operators change them; viewers read. The voice (TTS preset) and dialogue settings are
 * kept as they are by this form (the TTS view will choose voices).
 */
import { createResource, For, Show } from 'solid-js';
import { actionsColumn, DataTable, RowButton, type Column } from '../components/DataTable.tsx';
import { createActions, Feedback } from '../components/Feedback.tsx';
import { createDraft, FormCard, SelectField, TextArea, TextField } from '../components/Form.tsx';
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
  const { draft, set, load, reset, editing } = createDraft<Draft>(EMPTY);
  const { error, notice, run, remove } = createActions(refetch);
  const providerName = (id: number | null) => (id === null ? t('personas.defaultChain') : (providers()?.find((p) => p.id === id)?.name ?? `#${id}`));

  const edit = (p: Persona) =>
    load({ id: p.id, name: p.name, language: p.language ?? '', greeting: p.greeting ?? '', system_prompt: p.system_prompt, llm_provider_id: p.llm_provider_id === null ? '' : String(p.llm_provider_id) });
  const save = () => {
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
      reset();
    }, t('common.saved'));
  };

  const columns: Column<Persona>[] = [
    { head: 'personas.name', cell: (p) => p.name },
    { head: 'personas.language', cell: (p) => p.language ?? t('common.none') },
    { head: 'personas.greeting', cell: (p) => p.greeting ?? t('common.none') },
    { head: 'personas.llm', cell: (p) => providerName(p.llm_provider_id) },
    { head: 'personas.default', cell: (p) => (p.is_default ? t('common.yes') : t('common.no')) },
    actionsColumn(
      (p) => (
        <>
          <RowButton label={t('common.edit')} of={p.name} onClick={() => edit(p)} />
          <Show when={!p.is_default}>
            <RowButton label={t('personas.makeDefault')} of={p.name} onClick={() => void run(() => api('POST', `/admin/personas/${p.id}/default`), t('common.saved'))} />
          </Show>
          <RowButton label={t('common.delete')} of={p.name} onClick={() => remove(p.name, () => api('DELETE', `/admin/personas/${p.id}`))} danger />
        </>
      ),
      () => can('operator'),
    ),
  ];

  return (
    <section>
      <h1>{t('personas.title')}</h1>
      <Feedback error={error() ?? personas.error} notice={notice()} />
      <DataTable label={t('personas.title')} columns={columns} rows={personas()} empty={t('personas.none')} />
      <Show when={can('operator')} fallback={<p class="muted">{t('common.readOnly')}</p>}>
        <FormCard id="persona-form" title={editing() ? t('personas.editing', { name: draft().name }) : t('personas.new')} editing={editing()} onSubmit={save} onCancel={editing() ? reset : undefined}>
          <div class="row">
            <TextField label={t('personas.name')} name="name" required maxLength={100} value={draft().name} onValue={(v) => set({ name: v })} />
            <TextField label={t('personas.language')} name="language" maxLength={35} placeholder="en, ru" value={draft().language} onValue={(v) => set({ language: v })} />
            <SelectField label={t('personas.llm')} name="llm_provider_id" value={draft().llm_provider_id} onValue={(v) => set({ llm_provider_id: v })}>
              <option value="">{t('personas.defaultChain')}</option>
              <For each={providers()}>{(p) => <option value={String(p.id)}>{`${p.name} (${p.model})`}</option>}</For>
            </SelectField>
          </div>
          <TextField label={t('personas.greeting')} name="greeting" maxLength={2000} value={draft().greeting} onValue={(v) => set({ greeting: v })} />
          <TextArea label={t('personas.prompt')} name="system_prompt" required maxLength={20000} value={draft().system_prompt} onValue={(v) => set({ system_prompt: v })} />
        </FormCard>
      </Show>
    </section>
  );
}
