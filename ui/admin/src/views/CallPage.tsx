/**
 * One call: its facts, each turn (what the caller said, what the secretary answered, whether it was
 * interrupted, and a latency waterfall of the DESIGN.md stages), the transcript, and its recordings
 * (operators: fetched with the access token and played from memory).
 */
import { createResource, createSignal, For, onCleanup, Show } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { formatDateTime, formatDuration, formatNumber, t } from '../i18n/index.ts';
import { api, authorized, can } from '../lib/api.ts';
import { TURN_METRICS, type Call, type Recording, type TranscriptSegment, type Turn } from '../lib/types.ts';

interface CallDetail {
  call: Call;
  turns: Turn[];
  transcript: TranscriptSegment[];
  recordings: Recording[];
}

function Waterfall(props: { turn: Turn }) {
  const max = () => Math.max(1, ...TURN_METRICS.map((m) => props.turn[m] ?? 0));
  return (
    <div class="waterfall" role="table" aria-label={t('calls.latency', { n: props.turn.turn_index + 1 })}>
      <For each={TURN_METRICS.filter((m) => props.turn[m] !== null)}>
        {(m) => (
          <div role="row" class="wf-row">
            <span role="rowheader">{m}</span>
            <span role="cell" aria-hidden="true">
              <span class="bar" style={{ width: `${((props.turn[m] ?? 0) / max()) * 100}%` }} />
            </span>
            <span role="cell">{formatNumber(props.turn[m] ?? 0, { maximumFractionDigits: 0 })} ms</span>
          </div>
        )}
      </For>
    </div>
  );
}

function RecordingPlayer(props: { callId: string; rec: Recording; n: number }) {
  const [src, setSrc] = createSignal<string | null>(null);
  const [error, setError] = createSignal<unknown>(null);
  onCleanup(() => {
    const s = src();
    if (s) URL.revokeObjectURL(s);
  });
  const load = async () => {
    setError(null);
    try {
      const blob = await (await authorized(`/admin/calls/${encodeURIComponent(props.callId)}/recordings/${props.rec.id}`)).blob();
      setSrc(URL.createObjectURL(blob));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <li>
      <Show when={src()} fallback={<button type="button" onClick={() => void load()}>{t('calls.recording', { n: props.n })}</button>}>
        <audio controls src={src()!} aria-label={t('calls.recording', { n: props.n })} />
      </Show>
      <ErrorBox error={error()} />
    </li>
  );
}

export default function CallPage(props: { params: Record<string, string> }) {
  const [detail] = createResource(() => props.params.id, (id) => api<CallDetail>('GET', `/admin/calls/${encodeURIComponent(id)}`));
  return (
    <section>
      <p>
        <a href="/calls">{t('calls.back')}</a>
      </p>
      <ErrorBox error={detail.error} />
      <Show when={detail()}>
        {(d) => (
          <>
            <h1>{t('calls.call', { id: d().call.id })}</h1>
            <dl class="card">
              <dt>{t('calls.caller')}</dt>
              <dd>{d().call.caller_number ?? t('common.none')}</dd>
              <dt>{t('calls.started')}</dt>
              <dd>{formatDateTime(d().call.started_at)}</dd>
              <dt>{t('calls.duration')}</dt>
              <dd>{formatDuration(d().call.duration_ms)}</dd>
              <dt>{t('calls.status')}</dt>
              <dd>
                {d().call.status}
                {d().call.end_reason ? ` (${d().call.end_reason})` : ''}
              </dd>
              <Show when={d().call.summary}>
                <dt>{t('calls.summary')}</dt>
                <dd>{d().call.summary}</dd>
              </Show>
            </dl>
            <h2>{t('calls.turns')}</h2>
            <Show when={d().turns.length} fallback={<p class="muted">{t('calls.noTurns')}</p>}>
              <For each={d().turns}>
                {(turn) => (
                  <article class="turn card" classList={{ interrupted: turn.interrupted }} data-testid="turn">
                    <h3>
                      {t('calls.turn', { n: turn.turn_index + 1 })}
                      <Show when={turn.interrupted}>
                        <span class="badge">{t('calls.interrupted')}</span>
                      </Show>
                    </h3>
                    <p>
                      <strong>{t('calls.caller.said')}:</strong> {turn.user_text ?? t('common.none')}
                    </p>
                    <p>
                      <strong>{t('calls.assistant.said')}:</strong> {turn.assistant_text ?? t('common.none')}
                      <Show when={turn.answer_source}>
                        <span class="muted"> ({t('calls.source', { source: turn.answer_source! })})</span>
                      </Show>
                    </p>
                    <Waterfall turn={turn} />
                  </article>
                )}
              </For>
            </Show>
            <Show when={d().transcript.length}>
              <h2>{t('calls.transcript')}</h2>
              <ol>
                <For each={d().transcript}>
                  {(s) => (
                    <li>
                      <strong>{s.speaker}:</strong> {s.text}
                    </li>
                  )}
                </For>
              </ol>
            </Show>
            <Show when={d().recordings.length && can('operator')}>
              <h2>{t('calls.recordings')}</h2>
              <ul>
                <For each={d().recordings}>{(rec, i) => <RecordingPlayer callId={d().call.id} rec={rec} n={i() + 1} />}</For>
              </ul>
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}
