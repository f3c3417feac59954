/**
 * API keys (admins): keys for scripts and the OpenAI-compatible /v1 API. A new key is shown once,
 * in the answer that creates it; afterwards only its prefix. Revoking takes effect at once.
 */
import { createResource, createSignal, Show } from 'solid-js';
import { actionsColumn, DataTable, RowButton, type Column } from '../components/DataTable.tsx';
import { createActions, Feedback } from '../components/Feedback.tsx';
import { FormCard, TextField } from '../components/Form.tsx';
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
  const { error, run } = createActions(refetch);

  const create = () => {
    setCreated(null);
    void run(async () => {
      // The date input gives a day; the key stops working at the end of it, local time.
      const expiresAt = expires() ? new Date(`${expires()}T23:59:59`).toISOString() : null;
      const r = await api<ApiKey & { key: string }>('POST', '/admin/api-keys', { name: name(), expires_at: expiresAt });
      setCreated({ name: r.name, key: r.key });
      setName('');
      setExpires('');
    });
  };
  const revoke = (k: ApiKey) => {
    if (confirm(t('keys.confirmRevoke', { name: k.name }))) void run(() => api('DELETE', `/admin/api-keys/${k.id}`));
  };
  const state = (k: ApiKey) => (k.revoked_at ? t('keys.revoked') : k.expires_at && k.expires_at < new Date().toISOString() ? t('keys.expired') : t('keys.active'));

  const columns: Column<ApiKey>[] = [
    { head: 'keys.name', cell: (k) => k.name },
    { head: 'keys.prefix', cell: (k) => <code>{`vgk_${k.prefix}_…`}</code> },
    { head: 'keys.state', cell: state },
    { head: 'keys.lastUsed', cell: (k) => formatDateTime(k.last_used_at) },
    { head: 'keys.expires', cell: (k) => formatDateTime(k.expires_at) },
    actionsColumn((k) => (
      <Show when={!k.revoked_at}>
        <RowButton label={t('keys.revoke')} of={k.name} onClick={() => revoke(k)} danger />
      </Show>
    )),
  ];

  return (
    <section>
      <h1>{t('nav.apikeys')}</h1>
      <Show when={can('admin')} fallback={<p class="muted">{t('keys.adminOnly')}</p>}>
        <Feedback error={error() ?? keys.error} />
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
        <FormCard id="key-form" title={t('keys.new')} row onSubmit={create}>
          <TextField label={t('keys.name')} name="name" required maxLength={100} value={name()} onValue={setName} />
          <TextField label={t('keys.expires')} name="expires" type="date" value={expires()} onValue={setExpires} />
        </FormCard>
        <DataTable label={t('nav.apikeys')} columns={columns} rows={keys()} />
      </Show>
    </section>
  );
}
