/**
 * API keys (admins): keys for scripts and the OpenAI-compatible /v1 API. A new key is shown once,
 * in the answer that creates it; afterwards only its prefix. Revoking takes effect at once.
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { formatDateTime, t } from '../i18n/index.ts';
import { api, can } from '../lib/api.ts';

interface ApiKey {
  id: number;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export default function ApiKeys() {
  const [keys, { refetch }] = createResource(
    () => can('admin'),
    () => api<{ items: ApiKey[] }>('GET', '/admin/api-keys').then((r) => r.items),
  );
  const [name, setName] = createSignal('');
  const [expires, setExpires] = createSignal('');
  const [created, setCreated] = createSignal<{ name: string; key: string } | null>(null);
  const [error, setError] = createSignal<unknown>(null);

  const create = async (e: SubmitEvent) => {
    e.preventDefault();
    setError(null);
    setCreated(null);
    try {
      // The date input gives a day; the key stops working at the end of it, local time.
      const expiresAt = expires() ? new Date(`${expires()}T23:59:59`).toISOString() : null;
      const r = await api<ApiKey & { key: string }>('POST', '/admin/api-keys', { name: name(), expires_at: expiresAt });
      setCreated({ name: r.name, key: r.key });
      setName('');
      setExpires('');
      await refetch();
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (k: ApiKey) => {
    if (!confirm(t('keys.confirmRevoke', { name: k.name }))) return;
    setError(null);
    try {
      await api('DELETE', `/admin/api-keys/${k.id}`);
      await refetch();
    } catch (err) {
      setError(err);
    }
  };
  const state = (k: ApiKey) => (k.revoked_at ? t('keys.revoked') : k.expires_at && k.expires_at < new Date().toISOString() ? t('keys.expired') : t('keys.active'));

  return (
    <section>
      <h1>{t('nav.apikeys')}</h1>
      <Show when={can('admin')} fallback={<p class="muted">{t('keys.adminOnly')}</p>}>
        <ErrorBox error={error() ?? keys.error} />
        <Show when={created()}>
          {(c) => (
            <div class="card" role="status">
              <p>{t('keys.createdOnce', { name: c().name })}</p>
              <label>
                {t('keys.key')}
                <input readonly value={c().key} data-testid="new-key" onFocus={(e) => e.currentTarget.select()} />
              </label>
            </div>
          )}
        </Show>
        <form class="card row" onSubmit={create} aria-labelledby="key-form">
          <h2 id="key-form">{t('keys.new')}</h2>
          <label>
            {t('keys.name')}
            <input name="name" required maxLength={100} value={name()} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label>
            {t('keys.expires')}
            <input name="expires" type="date" value={expires()} onInput={(e) => setExpires(e.currentTarget.value)} />
          </label>
          <button type="submit" class="primary">
            {t('common.add')}
          </button>
        </form>
        <div class="table-wrap" tabindex="0" role="region" aria-label={t('nav.apikeys')}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('keys.name')}</th>
                <th scope="col">{t('keys.prefix')}</th>
                <th scope="col">{t('keys.state')}</th>
                <th scope="col">{t('keys.lastUsed')}</th>
                <th scope="col">{t('keys.expires')}</th>
                <th scope="col">
                  <span class="muted">{t('common.edit')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <Show when={keys()?.length === 0}>
                <tr>
                  <td colSpan={6}>{t('common.empty')}</td>
                </tr>
              </Show>
              <For each={keys()}>
                {(k) => (
                  <tr>
                    <td>{k.name}</td>
                    <td>
                      <code>{`vgk_${k.prefix}_…`}</code>
                    </td>
                    <td>{state(k)}</td>
                    <td>{formatDateTime(k.last_used_at)}</td>
                    <td>{formatDateTime(k.expires_at)}</td>
                    <td>
                      <Show when={!k.revoked_at}>
                        <button type="button" class="danger" onClick={() => void revoke(k)} aria-label={`${t('keys.revoke')}: ${k.name}`}>
                          {t('keys.revoke')}
                        </button>
                      </Show>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
    </section>
  );
}
