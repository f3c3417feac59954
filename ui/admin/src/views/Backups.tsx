/**
 * Backups (admins): make one now, download (with progress), upload a zip made elsewhere (with
 * progress; the gateway validates it whole before keeping it), restore (after typing the backup's
 * name: it replaces every table and ends every session, this one too), delete.
 */
import { createResource, createSignal, Show } from 'solid-js';
import { ConfirmByTyping } from '../components/ConfirmByTyping.tsx';
import { actionsColumn, DataTable, RowButton, type Column } from '../components/DataTable.tsx';
import { createActions, Feedback } from '../components/Feedback.tsx';
import { formatDateTime, formatNumber, t } from '../i18n/index.ts';
import { api, ApiError, authorized, can, currentAccessToken, refresh, signedOut } from '../lib/api.ts';
import { saveBlob } from '../lib/download.ts';

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
  const [progress, setProgress] = createSignal<Progress>(null);
  // After a restore the session is gone; the list then simply stays as it was.
  const { error, notice, setNotice, run: act, remove } = createActions(() => can('admin') && refetch());
  const run = (what: () => Promise<unknown>) => act(what).finally(() => setProgress(null));
  const [restoring, setRestoring] = createSignal<Backup | null>(null);

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
      saveBlob(new Blob(parts as BlobPart[], { type: 'application/zip' }), b.name);
    });
  const send = (file: File | undefined) => {
    if (!file) return;
    void run(async () => {
      setProgress({ what: t('backups.uploading', { name: file.name }), done: 0, total: file.size });
      const b = await upload(file, (done) => setProgress({ what: t('backups.uploading', { name: file.name }), done, total: file.size }));
      setNotice(t('backups.uploaded', { name: b.name }));
    });
  };
  const restore = (b: Backup) =>
    void run(async () => {
      setProgress({ what: t('backups.restoring', { name: b.name }), done: 0, total: null });
      await api('POST', `/admin/backups/${encodeURIComponent(b.name)}/restore`, { confirm: true });
      setRestoring(null);
      // Every session ended with the restore, this one too: sign in again.
      signedOut();
    });

  const columns: Column<Backup>[] = [
    { head: 'backups.name', cell: (b) => b.name },
    { head: 'msg.when', cell: (b) => formatDateTime(b.created_at) },
    { head: 'backups.size', cell: (b) => size(b.bytes) },
    actionsColumn((b) => (
      <>
        <RowButton label={t('backups.download')} of={b.name} onClick={() => void download(b)} disabled={progress() !== null} />
        <RowButton label={t('backups.restore')} of={b.name} onClick={() => setRestoring(b)} />
        <RowButton label={t('common.delete')} of={b.name} onClick={() => remove(b.name, () => api('DELETE', `/admin/backups/${encodeURIComponent(b.name)}`))} danger />
      </>
    )),
  ];

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
        <Feedback error={error() ?? backups.error} notice={notice()} />
        {/* Keyed: another backup chosen starts with an empty confirmation. */}
        <Show when={restoring()} keyed>
          {(b) => (
            <ConfirmByTyping
              id="restore-form"
              title={t('backups.restoreTitle', { name: b.name })}
              warning={t('backups.restoreWarning')}
              expected={b.name}
              prompt={t('backups.typeName', { name: b.name })}
              action={t('backups.restore')}
              busy={progress() !== null}
              onConfirm={() => restore(b)}
              onCancel={() => setRestoring(null)}
            />
          )}
        </Show>
        <DataTable label={t('nav.backups')} columns={columns} rows={backups()} />
      </Show>
    </section>
  );
}
