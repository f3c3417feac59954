/**
 * Backups (admins): make one now, download (with progress), upload a zip made elsewhere (with
 * progress; the gateway validates it whole before keeping it), restore (after typing the backup's
 * name: it replaces every table and ends every session, this one too), delete.
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { formatDateTime, formatNumber, t } from '../i18n/index.ts';
import { api, ApiError, authorized, can, currentAccessToken, refresh, signedOut } from '../lib/api.ts';

interface Backup {
  name: string;
  bytes: number;
  created_at: string;
}
type Progress = { what: string; done: number; total: number | null } | null;

const size = (n: number) => formatNumber(n / 1024 / 1024, { maximumFractionDigits: 1 }) + ' MB';

/** POST a file with upload progress (fetch cannot report it); refreshes the token once on 401. */
function upload(file: File, onProgress: (done: number) => void): Promise<Backup> {
  const attempt = () =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/admin/backups/upload');
      xhr.setRequestHeader('content-type', 'application/zip');
      const token = currentAccessToken();
      if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
      xhr.upload.onprogress = (e) => onProgress(e.loaded);
      xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText });
      xhr.onerror = () => reject(new ApiError(0, 'network', 'the upload was cut off'));
      xhr.send(file);
    });
  return (async () => {
    let r = await attempt();
    if (r.status === 401 && (await refresh())) r = await attempt();
    if (r.status === 401) signedOut();
    let body: { error?: { code: string; message: string } } & Partial<Backup> = {};
    try {
      body = JSON.parse(r.text) as typeof body;
    } catch {
      /* not JSON */
    }
    if (r.status >= 400) throw new ApiError(r.status, body.error?.code ?? `http_${r.status}`, body.error?.message ?? `HTTP ${r.status}`);
    return body as Backup;
  })();
}

export default function Backups() {
  const [backups, { refetch }] = createResource(
    () => can('admin'),
    () => api<{ items: Backup[] }>('GET', '/admin/backups').then((r) => r.items),
  );
  const [error, setError] = createSignal<unknown>(null);
  const [notice, setNotice] = createSignal('');
  const [progress, setProgress] = createSignal<Progress>(null);
  const [restoring, setRestoring] = createSignal<Backup | null>(null);
  const [typed, setTyped] = createSignal('');

  const run = async (what: () => Promise<unknown>) => {
    setError(null);
    setNotice('');
    try {
      await what();
    } catch (err) {
      setError(err);
    } finally {
      setProgress(null);
      // After a restore the session is gone; the list then simply stays as it was.
      if (can('admin')) await Promise.resolve(refetch()).catch(() => {});
    }
  };
  const create = () =>
    run(async () => {
      setProgress({ what: t('backups.creating'), done: 0, total: null });
      const b = await api<Backup>('POST', '/admin/backups');
      setNotice(t('backups.created', { name: b.name }));
    });
  const download = (b: Backup) =>
    run(async () => {
      const res = await authorized(`/admin/backups/${encodeURIComponent(b.name)}`);
      const total = Number(res.headers.get('content-length')) || b.bytes;
      const reader = res.body!.getReader();
      const parts: Uint8Array[] = [];
      let done = 0;
      setProgress({ what: t('backups.downloading', { name: b.name }), done, total });
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        parts.push(value);
        done += value.byteLength;
        setProgress({ what: t('backups.downloading', { name: b.name }), done, total });
      }
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob(parts as BlobPart[], { type: 'application/zip' }));
      a.download = b.name;
      a.click();
      URL.revokeObjectURL(a.href);
    });
  const send = (file: File | undefined) => {
    if (!file) return;
    void run(async () => {
      setProgress({ what: t('backups.uploading', { name: file.name }), done: 0, total: file.size });
      const b = await upload(file, (done) => setProgress({ what: t('backups.uploading', { name: file.name }), done, total: file.size }));
      setNotice(t('backups.uploaded', { name: b.name }));
    });
  };
  const remove = (b: Backup) => {
    if (confirm(t('common.confirmDelete', { name: b.name }))) void run(() => api('DELETE', `/admin/backups/${encodeURIComponent(b.name)}`));
  };
  const restore = (e: SubmitEvent) => {
    e.preventDefault();
    const b = restoring();
    if (!b || typed() !== b.name) return;
    void run(async () => {
      setProgress({ what: t('backups.restoring', { name: b.name }), done: 0, total: null });
      await api('POST', `/admin/backups/${encodeURIComponent(b.name)}/restore`, { confirm: true });
      setRestoring(null);
      // Every session ended with the restore, this one too: sign in again.
      signedOut();
    });
  };

  return (
    <section>
      <h1>{t('nav.backups')}</h1>
      <Show when={can('admin')} fallback={<p class="muted">{t('backups.adminOnly')}</p>}>
        <div class="actions card">
          <button type="button" class="primary" disabled={progress() !== null} onClick={() => void create()}>
            {t('backups.create')}
          </button>
          <label class="inline">
            {t('backups.upload')}
            <input type="file" name="upload" accept=".zip,application/zip" disabled={progress() !== null} onChange={(e) => send(e.currentTarget.files?.[0])} />
          </label>
        </div>
        <Show when={progress()}>
          {(p) => (
            <div class="card" role="status">
              <p>{p().what}</p>
              <Show when={p().total} fallback={<progress aria-label={p().what} />}>
                <progress aria-label={p().what} max={p().total!} value={p().done} />
                <span class="muted"> {size(p().done)} / {size(p().total!)}</span>
              </Show>
            </div>
          )}
        </Show>
        <ErrorBox error={error() ?? backups.error} />
        <Show when={notice()}>
          <p class="notice" role="status">
            {notice()}
          </p>
        </Show>
        <Show when={restoring()}>
          {(b) => (
            <form class="card" onSubmit={restore} aria-labelledby="restore-form">
              <h2 id="restore-form">{t('backups.restoreTitle', { name: b().name })}</h2>
              <p class="error">{t('backups.restoreWarning')}</p>
              <label>
                {t('backups.typeName', { name: b().name })}
                <input name="confirm-name" autocomplete="off" value={typed()} onInput={(e) => setTyped(e.currentTarget.value)} />
              </label>
              <div class="actions">
                <button type="submit" class="danger" disabled={typed() !== b().name || progress() !== null}>
                  {t('backups.restore')}
                </button>
                <button type="button" onClick={() => setRestoring(null)}>
                  {t('common.cancel')}
                </button>
              </div>
            </form>
          )}
        </Show>
        <div class="table-wrap" tabindex="0" role="region" aria-label={t('nav.backups')}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('backups.name')}</th>
                <th scope="col">{t('msg.when')}</th>
                <th scope="col">{t('backups.size')}</th>
                <th scope="col">
                  <span class="muted">{t('common.edit')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <Show when={backups()?.length === 0}>
                <tr>
                  <td colSpan={4}>{t('common.empty')}</td>
                </tr>
              </Show>
              <For each={backups()}>
                {(b) => (
                  <tr>
                    <td>{b.name}</td>
                    <td>{formatDateTime(b.created_at)}</td>
                    <td>{size(b.bytes)}</td>
                    <td class="actions">
                      <button type="button" disabled={progress() !== null} onClick={() => void download(b)} aria-label={`${t('backups.download')}: ${b.name}`}>
                        {t('backups.download')}
                      </button>
                      <button
                        type="button"
                        onClick={() => {
                          setTyped('');
                          setRestoring(b);
                        }}
                        aria-label={`${t('backups.restore')}: ${b.name}`}
                      >
                        {t('backups.restore')}
                      </button>
                      <button type="button" class="danger" onClick={() => remove(b)} aria-label={`${t('common.delete')}: ${b.name}`}>
                        {t('common.delete')}
                      </button>
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
