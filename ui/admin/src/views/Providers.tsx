/**
 * LLM providers (OpenAI-compatible endpoints) in fallback order, and the default backend for calls
 * and chats. Operators read; admins add, change, test and delete. API keys are write-only: the
 * list says whether one is stored, never what it is.
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import { DataTable, RowButton, type Column } from '../components/DataTable.tsx';
import { createActions, Feedback } from '../components/Feedback.tsx';
import { CheckField, createDraft, FormCard, SelectField, TextField } from '../components/Form.tsx';
import { formatNumber, t } from '../i18n/index.ts';
import { api, can } from '../lib/api.ts';

interface Provider {
  id: number;
  name: string;
  base_url: string;
  model: string;
  has_api_key: boolean;
  api_key_status: 'set' | 'none' | 'missing';
  timeout_ms: number;
  priority: number;
  enabled: boolean;
}
interface DefaultBackend {
  backend: 'auto' | 'faq' | 'provider';
  provider_id?: number;
  effective: string;
  stale: boolean;
  stale_reason: string | null;
}
interface TestResult {
  ok: boolean;
  latency_ms: number;
  reply?: string;
  error?: string;
  error_id?: string;
}
interface Draft {
  id: number | null;
  name: string;
  base_url: string;
  model: string;
  api_key: string;
  priority: string;
  timeout_ms: string;
  enabled: boolean;
}
const EMPTY: Draft = { id: null, name: '', base_url: '', model: '', api_key: '', priority: '100', timeout_ms: '30000', enabled: true };

export default function Providers() {
  const [providers, { refetch }] = createResource(
    () => can('operator'),
    () => api<{ items: Provider[] }>('GET', '/admin/llm-providers').then((r) => r.items),
  );
  const [backend, { mutate: setBackend }] = createResource(() => api<DefaultBackend>('GET', '/admin/llm/default'));
  const { draft, set, load, reset, editing } = createDraft<Draft>(EMPTY);
  const { error, notice, run, remove } = createActions(refetch);
  const [tests, setTests] = createSignal<Record<number, TestResult | 'running'>>({});

  const edit = (p: Provider) => load({ id: p.id, name: p.name, base_url: p.base_url, model: p.model, api_key: '', priority: String(p.priority), timeout_ms: String(p.timeout_ms), enabled: p.enabled });
  const save = () => {
    const d = draft();
    const body: Record<string, unknown> = { name: d.name, base_url: d.base_url, model: d.model, priority: Number(d.priority), timeout_ms: Number(d.timeout_ms), enabled: d.enabled };
    if (d.api_key) body.api_key = d.api_key; // empty: keep the stored key
    void run(async () => {
      await (d.id === null ? api('POST', '/admin/llm-providers', body) : api('PATCH', `/admin/llm-providers/${d.id}`, body));
      reset();
    }, t('common.saved'));
  };
  const test = async (p: Provider) => {
    setTests({ ...tests(), [p.id]: 'running' });
    try {
      setTests({ ...tests(), [p.id]: await api<TestResult>('POST', `/admin/llm-providers/${p.id}/test`) });
    } catch (err) {
      setTests({ ...tests(), [p.id]: { ok: false, latency_ms: 0, error: err instanceof Error ? err.message : String(err) } });
    }
  };
  const testText = (r: TestResult | 'running') =>
    r === 'running' ? t('app.loading') : r.ok ? t('providers.testOk', { ms: r.latency_ms, text: r.reply ?? '' }) : t('providers.testFailed', { message: r.error ?? '' });
  const backendValue = () => {
    const b = backend();
    return !b ? 'auto' : b.backend === 'provider' ? `provider:${b.provider_id}` : b.backend;
  };
  const chooseBackend = (value: string) =>
    void run(async () => {
      const body = value.startsWith('provider:') ? { backend: 'provider', provider_id: Number(value.slice(9)) } : { backend: value };
      setBackend(await api<DefaultBackend>('PUT', '/admin/llm/default', body));
    }, t('common.saved'));

  const columns: Column<Provider>[] = [
    { head: 'providers.priority', cell: (p) => formatNumber(p.priority) },
    { head: 'providers.name', cell: (p) => p.name },
    { head: 'providers.model', cell: (p) => p.model },
    { head: 'providers.baseUrl', cell: (p) => p.base_url },
    { head: 'providers.key', cell: (p) => t(`providers.key.${p.api_key_status}`) },
    { head: 'providers.enabled', cell: (p) => (p.enabled ? t('common.yes') : t('common.no')) },
    {
      head: () => <span class="muted">{t('common.edit')}</span>,
      when: () => can('admin'),
      cell: (p) => (
        <>
          <div class="actions">
            <RowButton label={t('providers.test')} of={p.name} onClick={() => void test(p)} disabled={tests()[p.id] === 'running'} />
            <RowButton label={t('common.edit')} of={p.name} onClick={() => edit(p)} />
            <RowButton label={t('common.delete')} of={p.name} onClick={() => remove(p.name, () => api('DELETE', `/admin/llm-providers/${p.id}`))} danger />
          </div>
          <Show when={tests()[p.id]}>
            {(r) => (
              <p role="status" data-testid="provider-test">
                {testText(r())}
              </p>
            )}
          </Show>
        </>
      ),
    },
  ];

  return (
    <section>
      <h1>{t('providers.title')}</h1>
      <Feedback error={error() ?? providers.error ?? backend.error} notice={notice()} />
      <div class="card">
        <Show
          when={can('admin')}
          fallback={
            <p>
              {t('providers.defaultBackend')}: <strong>{backendValue()}</strong>
            </p>
          }
        >
          <SelectField label={t('providers.defaultBackend')} name="default_backend" value={backendValue()} onValue={chooseBackend}>
            <option value="auto">{t('providers.backend.auto')}</option>
            <option value="faq">{t('providers.backend.faq')}</option>
            <For each={providers()}>{(p) => <option value={`provider:${p.id}`}>{t('chat.backend.provider', { name: p.name })}</option>}</For>
          </SelectField>
        </Show>
        <Show when={backend()?.stale}>
          <p class="error" role="alert">
            {t('providers.stale', { reason: backend()!.stale_reason ?? '' })}
          </p>
        </Show>
      </div>
      <Show when={can('operator')} fallback={<p class="muted">{t('providers.operatorOnly')}</p>}>
        <DataTable label={t('providers.title')} columns={columns} rows={providers()} empty={t('providers.none')} />
      </Show>
      <Show when={can('admin')}>
        <FormCard id="provider-form" title={editing() ? t('personas.editing', { name: draft().name }) : t('providers.new')} editing={editing()} onSubmit={save} onCancel={editing() ? reset : undefined}>
          <div class="row">
            <TextField label={t('providers.name')} name="name" required maxLength={100} value={draft().name} onValue={(v) => set({ name: v })} />
            <TextField label={t('providers.model')} name="model" required maxLength={200} value={draft().model} onValue={(v) => set({ model: v })} />
          </div>
          <TextField label={t('providers.baseUrl')} name="base_url" type="url" required placeholder="https://api.example.com/v1" value={draft().base_url} onValue={(v) => set({ base_url: v })} />
          <TextField label={t('providers.apiKey')} name="api_key" type="password" autocomplete="off" value={draft().api_key} onValue={(v) => set({ api_key: v })} />
          <div class="row">
            <TextField label={t('providers.priority')} name="priority" type="number" min="0" max="10000" required value={draft().priority} onValue={(v) => set({ priority: v })} />
            <TextField label={t('providers.timeout')} name="timeout_ms" type="number" min="1000" max="600000" step="1000" required value={draft().timeout_ms} onValue={(v) => set({ timeout_ms: v })} />
          </div>
          <CheckField label={t('providers.enabled')} name="enabled" checked={draft().enabled} onValue={(v) => set({ enabled: v })} />
        </FormCard>
      </Show>
    </section>
  );
}
