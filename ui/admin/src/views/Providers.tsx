/**
 * LLM providers (OpenAI-compatible endpoints) in fallback order, and the default backend for calls
 * and chats. Operators read; admins add, change, test and delete. API keys are write-only: the
 * list says whether one is stored, never what it is.
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox.tsx';
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
  const [draft, setDraft] = createSignal<Draft>({ ...EMPTY });
  const [error, setError] = createSignal<unknown>(null);
  const [notice, setNotice] = createSignal('');
  const [tests, setTests] = createSignal<Record<number, TestResult | 'running'>>({});
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
  const edit = (p: Provider) => setDraft({ id: p.id, name: p.name, base_url: p.base_url, model: p.model, api_key: '', priority: String(p.priority), timeout_ms: String(p.timeout_ms), enabled: p.enabled });
  const save = (e: SubmitEvent) => {
    e.preventDefault();
    const d = draft();
    const body: Record<string, unknown> = { name: d.name, base_url: d.base_url, model: d.model, priority: Number(d.priority), timeout_ms: Number(d.timeout_ms), enabled: d.enabled };
    if (d.api_key) body.api_key = d.api_key; // empty: keep the stored key
    void run(async () => {
      await (d.id === null ? api('POST', '/admin/llm-providers', body) : api('PATCH', `/admin/llm-providers/${d.id}`, body));
      setDraft({ ...EMPTY });
    }, t('common.saved'));
  };
  const remove = (p: Provider) => {
    if (confirm(t('common.confirmDelete', { name: p.name }))) void run(() => api('DELETE', `/admin/llm-providers/${p.id}`));
  };
  const test = async (p: Provider) => {
    setTests({ ...tests(), [p.id]: 'running' });
    try {
      setTests({ ...tests(), [p.id]: await api<TestResult>('POST', `/admin/llm-providers/${p.id}/test`) });
    } catch (err) {
      setTests({ ...tests(), [p.id]: { ok: false, latency_ms: 0, error: err instanceof Error ? err.message : String(err) } });
    }
  };
  const backendValue = () => {
    const b = backend();
    return !b ? 'auto' : b.backend === 'provider' ? `provider:${b.provider_id}` : b.backend;
  };
  const chooseBackend = (value: string) =>
    void run(async () => {
      const body = value.startsWith('provider:') ? { backend: 'provider', provider_id: Number(value.slice(9)) } : { backend: value };
      setBackend(await api<DefaultBackend>('PUT', '/admin/llm/default', body));
    }, t('common.saved'));

  return (
    <section>
      <h1>{t('providers.title')}</h1>
      <ErrorBox error={error() ?? providers.error ?? backend.error} />
      <Show when={notice()}>
        <p class="notice" role="status">
          {notice()}
        </p>
      </Show>
      <div class="card">
        <Show
          when={can('admin')}
          fallback={
            <p>
              {t('providers.defaultBackend')}: <strong>{backendValue()}</strong>
            </p>
          }
        >
          <label>
            {t('providers.defaultBackend')}
            <select name="default_backend" value={backendValue()} onChange={(e) => chooseBackend(e.currentTarget.value)}>
              <option value="auto">{t('providers.backend.auto')}</option>
              <option value="faq">{t('providers.backend.faq')}</option>
              <For each={providers()}>{(p) => <option value={`provider:${p.id}`}>{t('chat.backend.provider', { name: p.name })}</option>}</For>
            </select>
          </label>
        </Show>
        <Show when={backend()?.stale}>
          <p class="error" role="alert">
            {t('providers.stale', { reason: backend()!.stale_reason ?? '' })}
          </p>
        </Show>
      </div>
      <Show when={can('operator')} fallback={<p class="muted">{t('providers.operatorOnly')}</p>}>
        <div class="table-wrap" tabindex="0" role="region" aria-label={t('providers.title')}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('providers.priority')}</th>
                <th scope="col">{t('providers.name')}</th>
                <th scope="col">{t('providers.model')}</th>
                <th scope="col">{t('providers.baseUrl')}</th>
                <th scope="col">{t('providers.key')}</th>
                <th scope="col">{t('providers.enabled')}</th>
                <Show when={can('admin')}>
                  <th scope="col">
                    <span class="muted">{t('common.edit')}</span>
                  </th>
                </Show>
              </tr>
            </thead>
            <tbody>
              <Show when={providers()?.length === 0}>
                <tr>
                  <td colSpan={7}>{t('providers.none')}</td>
                </tr>
              </Show>
              <For each={providers()}>
                {(p) => (
                  <tr>
                    <td>{formatNumber(p.priority)}</td>
                    <td>{p.name}</td>
                    <td>{p.model}</td>
                    <td>{p.base_url}</td>
                    <td>{t(`providers.key.${p.api_key_status}`)}</td>
                    <td>{p.enabled ? t('common.yes') : t('common.no')}</td>
                    <Show when={can('admin')}>
                      <td>
                        <div class="actions">
                          <button type="button" onClick={() => void test(p)} disabled={tests()[p.id] === 'running'} aria-label={`${t('providers.test')}: ${p.name}`}>
                            {t('providers.test')}
                          </button>
                          <button type="button" onClick={() => edit(p)} aria-label={`${t('common.edit')}: ${p.name}`}>
                            {t('common.edit')}
                          </button>
                          <button type="button" class="danger" onClick={() => remove(p)} aria-label={`${t('common.delete')}: ${p.name}`}>
                            {t('common.delete')}
                          </button>
                        </div>
                        <Show when={tests()[p.id]}>
                          {(r) => (
                            <p role="status" data-testid="provider-test">
                              {r() === 'running'
                                ? t('app.loading')
                                : (r() as TestResult).ok
                                  ? t('providers.testOk', { ms: (r() as TestResult).latency_ms, text: (r() as TestResult).reply ?? '' })
                                  : t('providers.testFailed', { message: (r() as TestResult).error ?? '' })}
                            </p>
                          )}
                        </Show>
                      </td>
                    </Show>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
      <Show when={can('admin')}>
        <form class="card" onSubmit={save} aria-labelledby="provider-form">
          <h2 id="provider-form">{draft().id === null ? t('providers.new') : t('personas.editing', { name: draft().name })}</h2>
          <div class="row">
            <label>
              {t('providers.name')}
              <input name="name" required maxLength={100} value={draft().name} onInput={(e) => set({ name: e.currentTarget.value })} />
            </label>
            <label>
              {t('providers.model')}
              <input name="model" required maxLength={200} value={draft().model} onInput={(e) => set({ model: e.currentTarget.value })} />
            </label>
          </div>
          <label>
            {t('providers.baseUrl')}
            <input name="base_url" type="url" required placeholder="https://api.example.com/v1" value={draft().base_url} onInput={(e) => set({ base_url: e.currentTarget.value })} />
          </label>
          <label>
            {t('providers.apiKey')}
            <input name="api_key" type="password" autocomplete="off" value={draft().api_key} onInput={(e) => set({ api_key: e.currentTarget.value })} />
          </label>
          <div class="row">
            <label>
              {t('providers.priority')}
              <input name="priority" type="number" min="0" max="10000" required value={draft().priority} onInput={(e) => set({ priority: e.currentTarget.value })} />
            </label>
            <label>
              {t('providers.timeout')}
              <input name="timeout_ms" type="number" min="1000" max="600000" step="1000" required value={draft().timeout_ms} onInput={(e) => set({ timeout_ms: e.currentTarget.value })} />
            </label>
          </div>
          <label class="inline">
            <input type="checkbox" name="enabled" checked={draft().enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />
            {t('providers.enabled')}
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
