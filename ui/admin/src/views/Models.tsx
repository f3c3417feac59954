/**
 * Models: every model the manifest knows, whether it is installed (and used now by STT or TTS),
 * and for admins fetching one (a download job whose progress is polled and shown as a bar: bytes
 * received, then checksum and unpacking) or deleting one (the API refuses a model in use, in
 * words). Jobs still running when the view opens are picked up from the list.
 */
import { createResource, createSignal, onCleanup, Show } from 'solid-js';
import { actionsColumn, DataTable, RowButton, type Column } from '../components/DataTable.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { formatNumber, t } from '../i18n/index.ts';
import { api, ApiError, can } from '../lib/api.ts';
import { JOB_ENDED, type ModelItem, type ModelJob, type ModelsAnswer } from '../lib/engines-api.ts';
import { valueOf } from '../lib/resource-value.ts';

const POLL_MS = 500;
const mb = (n: number) => formatNumber(n / 1024 / 1024, { maximumFractionDigits: 1 }) + ' MB';
const running = (j: ModelJob | undefined) => !!j && !JOB_ENDED.includes(j.state);

export default function Models() {
  const [jobs, setJobs] = createSignal<Record<string, ModelJob>>({});
  const [error, setError] = createSignal<unknown>(null);
  const setJob = (j: ModelJob) => setJobs({ ...jobs(), [j.model]: j });
  /** A download under way, or one that failed for a model still not installed; a finished one says nothing the status does not. */
  const shownJob = (m: ModelItem) => {
    const j = jobs()[m.name];
    return j && (running(j) || (j.state === 'failed' && m.status !== 'installed')) ? j : undefined;
  };
  const [list, { refetch }] = createResource(() =>
    api<ModelsAnswer>('GET', '/admin/models').then((r) => {
      // Jobs under way (started elsewhere, or before this view opened) are followed from here on.
      for (const j of r.jobs) if (running(j) || !jobs()[j.model]) setJob(j);
      return r;
    }),
  );

  // One timer for every running job, one request per job at a time; a job that ends refreshes
  // the list (installed, where).
  let polling = false;
  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      await Promise.all(
        Object.values(jobs())
          .filter(running)
          .map(async (j) => {
            try {
              const next = await api<ModelJob>('GET', `/admin/models/jobs/${encodeURIComponent(j.id)}`);
              // The list first, so the row turns "installed" as the bar goes, with no gap between.
              if (!running(next)) await refetch();
              setJob(next);
            } catch (err) {
              setError(err);
              // Only a job the gateway no longer knows (restarted) is over; a failed poll (network,
              // an expired sign-in) says nothing about the download, which goes on: poll again.
              if (err instanceof ApiError && err.status === 404) setJob({ ...j, state: 'failed' });
            }
          }),
      );
    } finally {
      polling = false;
    }
  };
  const timer = setInterval(() => void poll(), POLL_MS);
  onCleanup(() => clearInterval(timer));

  const fetchModel = async (m: ModelItem) => {
    setError(null);
    try {
      setJob(await api<ModelJob>('POST', `/admin/models/${encodeURIComponent(m.name)}/fetch`));
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (m: ModelItem) => {
    if (!confirm(t('common.confirmDelete', { name: m.name }))) return;
    setError(null);
    try {
      await api('DELETE', `/admin/models/${encodeURIComponent(m.name)}`);
    } catch (err) {
      setError(err);
    }
    await refetch();
  };

  const columns: Column<ModelItem>[] = [
    {
      head: 'models.name',
      cell: (m) => (
        <>
          <strong>{m.name}</strong>
          <br />
          <span class="muted">{m.description}</span>
        </>
      ),
    },
    {
      head: 'models.kind',
      cell: (m) => (
        <>
          {m.kind}
          <br />
          <span class="muted">{m.languages.join(', ')}</span>
        </>
      ),
    },
    {
      head: 'models.size',
      cell: (m) => (
        <>
          {m.size_bytes === null ? t('common.none') : mb(m.size_bytes)}
          <Show when={!m.verified}>
            <br />
            <span class="muted">{t('models.unverified')}</span>
          </Show>
        </>
      ),
    },
    {
      head: 'models.status',
      cell: (m) => (
        <div data-testid="model-status">
          {t(`models.status.${m.status}`)}
          <Show when={m.location === 'hf_cache'}>
            <span class="muted"> ({t('models.inHfCache')})</span>
          </Show>
          <Show when={m.status === 'incomplete' && m.missing_files.length > 0}>
            <br />
            <span class="muted">{t('models.missingFiles', { files: m.missing_files.join(', ') })}</span>
          </Show>
          <Show when={m.in_use}>{(k) => <span class="badge">{t('models.inUse', { by: k().toUpperCase() })}</span>}</Show>
          <Show when={shownJob(m)}>{(j) => <JobProgress job={j()} />}</Show>
        </div>
      ),
    },
    actionsColumn(
      (m) => (
        <>
          <Show when={m.status !== 'installed' && !running(jobs()[m.name])}>
            <RowButton label={t('models.fetch')} of={m.name} onClick={() => void fetchModel(m)} />
          </Show>
          <Show when={m.status !== 'absent' && !running(jobs()[m.name])}>
            <RowButton label={t('common.delete')} of={m.name} onClick={() => void remove(m)} danger />
          </Show>
        </>
      ),
      () => can('admin'),
    ),
  ];

  return (
    <section>
      <h1>{t('nav.models')}</h1>
      <ErrorBox error={list.error ?? error()} />
      <Show when={valueOf(list)}>
        {(l) => (
          <>
            <Show when={!can('admin')}>
              <p class="muted">{t('models.adminOnly')}</p>
            </Show>
            <DataTable label={t('nav.models')} columns={columns} rows={l().items} rowId={(m) => `model-${m.name}`} />
          </>
        )}
      </Show>
    </section>
  );
}

/** A fetch job: its stage in words, a bar while bytes arrive (indeterminate without a total), the error in words. */
function JobProgress(props: { job: ModelJob }) {
  const label = () => t(`models.job.${props.job.state}`);
  return (
    <div class="job" role="status">
      <span>{label()}</span>
      <Show when={running(props.job)}>
        <Show when={props.job.total_bytes} fallback={<progress aria-label={label()} />}>
          {(total) => (
            <>
              <progress aria-label={label()} max={total()} value={props.job.received_bytes} />
              <span class="muted">
                {' '}
                {mb(props.job.received_bytes)} / {mb(total())}
              </span>
            </>
          )}
        </Show>
      </Show>
      <Show when={props.job.error}>{(e) => <p class="error">{e()}</p>}</Show>
    </div>
  );
}
