/**
 * Monitoring at a glance: live calls, calls today, messages waiting, engine health (/health's
 * components for an admin; its overall status for others), event-loop lag and the average
 * latency per stage, pushed by the live monitor stream (/admin/monitor/stream) without reload.
 */
import { createResource, createSignal, onCleanup, onMount, Show } from 'solid-js';
import { DataTable, type Column } from '../components/DataTable.tsx';
import { ErrorBox, describeError } from '../components/ErrorBox.tsx';
import { formatNumber, formatTime, t } from '../i18n/index.ts';
import { api, authorized, can, currentAccessToken } from '../lib/api.ts';
import { readEvents } from '../lib/sse.ts';

type Metrics = Record<string, number>;
interface Health {
  status: string;
  components?: Record<string, { status: string } & Record<string, unknown>>;
}

const STAGES = ['endpoint_ms', 'stt_final_ms', 'llm_ttft_ms', 'tts_ttfa_ms', 'v2v_ms', 'barge_in_ms'];

type HealthRow = [name: string, c: { status: string } & Record<string, unknown>];
const HEALTH_COLUMNS: Column<HealthRow>[] = [
  { head: 'dash.component', cell: ([name]) => name },
  { head: 'dash.status', cell: ([, c]) => c.status, class: ([, c]) => `status-${c.status}` },
  {
    head: 'dash.details',
    class: () => 'muted',
    cell: ([, c]) =>
      Object.entries(c)
        .filter(([k]) => k !== 'status')
        .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join(', '),
  },
];
interface StageRow {
  stage: string;
  count: number;
  avg: number | null;
}
const STAGE_COLUMNS: Column<StageRow>[] = [
  { head: 'dash.stage', cell: (r) => r.stage },
  { head: 'dash.avgMs', cell: (r) => (r.avg === null ? t('common.none') : formatNumber(r.avg, { maximumFractionDigits: 0 })) },
  { head: 'dash.turns', cell: (r) => formatNumber(r.count) },
];

/** Sum of every labelled sample of `name` (`voice_active_calls{channel="ws"}` ...). */
const sum = (m: Metrics, name: string) => Object.entries(m).reduce((acc, [k, v]) => (k === name || k.startsWith(`${name}{`) ? acc + v : acc), 0);

function startOfToday(): string {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.toISOString();
}

async function loadHealth(): Promise<{ health: Health; limited: boolean }> {
  // Components need an admin's token; anyone else reads the overall status without one.
  const admin = can('admin');
  const res = await fetch('/health', admin ? { headers: { authorization: `Bearer ${currentAccessToken()}` } } : {});
  return { health: (await res.json()) as Health, limited: !admin };
}

export default function Dashboard() {
  const [metrics, setMetrics] = createSignal<Metrics | null>(null);
  const [updated, setUpdated] = createSignal<Date | null>(null);
  const [streamError, setStreamError] = createSignal<string | null>(null);
  const [counts] = createResource(async () => {
    const [today, waiting] = await Promise.all([
      api<{ total: number }>('GET', `/admin/calls?from=${encodeURIComponent(startOfToday())}&limit=1`),
      api<{ total: number }>('GET', '/admin/messages?status=new&limit=1'),
    ]);
    return { today: today.total, waiting: waiting.total };
  });
  const [health, { refetch: refetchHealth }] = createResource(loadHealth);

  const abort = new AbortController();
  onCleanup(() => abort.abort());
  onMount(() => void follow());
  /** The monitor stream, reconnected after a pause if it breaks; each event also refreshes health. */
  async function follow(): Promise<void> {
    while (!abort.signal.aborted) {
      try {
        const res = await authorized('/admin/monitor/stream?interval_ms=2000', { signal: abort.signal });
        setStreamError(null);
        for await (const ev of readEvents(res, abort.signal)) {
          if (ev.event !== 'metrics') continue;
          setMetrics((ev.data as { metrics: Metrics }).metrics);
          setUpdated(new Date());
          void refetchHealth();
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        setStreamError(describeError(err));
      }
      await new Promise((r) => setTimeout(r, 3000));
    }
  }

  const stageRows = (): StageRow[] | undefined => {
    const m = metrics();
    if (!m) return undefined;
    return STAGES.map((stage) => {
      const count = m[`voice_stage_latency_ms_count{stage="${stage}"}`] ?? 0;
      const total = m[`voice_stage_latency_ms_sum{stage="${stage}"}`] ?? 0;
      return { stage, count, avg: count ? total / count : null };
    });
  };
  const lag = () => {
    const m = metrics();
    if (!m) return null;
    return m['voice_event_loop_lag_ms{quantile="0.99"}'] ?? m.event_loop_delay_p99_ms ?? null;
  };

  return (
    <section>
      <h1>{t('dash.title')}</h1>
      <p class="muted" role="status">
        <Show when={streamError()} fallback={updated() ? t('dash.updated', { time: formatTime(updated()!) }) : t('app.loading')}>
          {t('dash.stale', { message: streamError()! })}
        </Show>
      </p>
      <div class="cards">
        <div class="card">
          <h2>{t('dash.liveCalls')}</h2>
          <p class="stat" data-testid="live-calls">{metrics() ? formatNumber(sum(metrics()!, 'voice_active_calls')) : '…'}</p>
        </div>
        <div class="card">
          <h2>{t('dash.callsToday')}</h2>
          <p class="stat" data-testid="calls-today">{counts() ? formatNumber(counts()!.today) : '…'}</p>
        </div>
        <div class="card">
          <h2>{t('dash.messagesWaiting')}</h2>
          <p class="stat">
            <a href="/messages?status=new" data-testid="messages-waiting">{counts() ? formatNumber(counts()!.waiting) : '…'}</a>
          </p>
        </div>
        <div class="card">
          <h2>{t('dash.loopLag')}</h2>
          <p class="stat">{lag() === null ? '…' : `${formatNumber(lag()!, { maximumFractionDigits: 1 })} ms`}</p>
        </div>
      </div>
      <ErrorBox error={counts.error} />

      <h2>{t('dash.health')}</h2>
      <ErrorBox error={health.error} />
      <Show when={health()}>
        {(h) => (
          <>
            <p>
              {t('dash.status')}: <strong class={`status-${h().health.status}`}>{h().health.status}</strong>
            </p>
            <Show when={h().limited}>
              <p class="muted">{t('dash.healthLimited')}</p>
            </Show>
            <Show when={h().health.components}>
              {(components) => <DataTable label={t('dash.health')} columns={HEALTH_COLUMNS} rows={Object.entries(components())} />}
            </Show>
          </>
        )}
      </Show>

      <h2>{t('dash.stageLatency')}</h2>
      <DataTable label={t('dash.stageLatency')} columns={STAGE_COLUMNS} rows={stageRows()} />
    </section>
  );
}
