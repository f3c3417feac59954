/**
 * "Call the secretary": a voice call from the browser over the voice WebSocket, as a caller would
 * hear it. The live transcript, the secretary's reply as it is written, per-turn latencies
 * (turn_metrics), barge-in (speak over the reply: the server stops it, the page drops what it had
 * queued), and counters of the audio moved, which the browser test reads too.
 */
import { createSignal, For, onCleanup, Show } from 'solid-js';
import { DataTable } from '../components/DataTable.tsx';
import { describeError } from '../components/ErrorBox.tsx';
import { formatNumber, t } from '../i18n/index.ts';
import { can } from '../lib/api.ts';
import { CallClosed, VoiceCall, type CallCounters, type CallState, type ServerEvent, type TurnMetrics } from '../softphone/voice-call.ts';

interface Line {
  who: 'caller' | 'secretary';
  text: string;
  /** Secretary lines only: the reply was cut short; `heard` is what the caller heard of it. */
  interrupted?: { heard: string };
}

const STAGES = ['endpoint_ms', 'stt_final_ms', 'llm_ttft_ms', 'tts_ttfa_ms', 'v2v_ms', 'barge_in_ms'] as const;
const ZERO: CallCounters = { framesSent: 0, framesReceived: 0, framesPlayed: 0, queuedMs: 0, clears: 0 };

function failureText(err: unknown): string {
  if (err instanceof DOMException && err.name === 'NotAllowedError') return t('phone.micDenied');
  if (err instanceof DOMException && err.name === 'NotFoundError') return t('phone.noMic');
  if (err instanceof CallClosed) return t('phone.closed', { code: err.code, reason: err.reason || '-' });
  return describeError(err);
}

export default function Softphone() {
  const [state, setState] = createSignal<CallState | null>(null);
  const [lines, setLines] = createSignal<Line[]>([]);
  const [partial, setPartial] = createSignal('');
  const [metrics, setMetrics] = createSignal<TurnMetrics[]>([]);
  const [counters, setCounters] = createSignal<CallCounters>(ZERO);
  const [interruptions, setInterruptions] = createSignal(0);
  const [serverError, setServerError] = createSignal<string | null>(null);
  let call: VoiceCall | null = null;
  /** The secretary's line being written: response_text_delta appends to it until the turn ends. */
  let replyOpen = false;

  const updateLast = (f: (l: Line) => Line) => setLines((ls) => [...ls.slice(0, -1), f(ls[ls.length - 1])]);

  const onEvent = (e: ServerEvent) => {
    switch (e.type) {
      case 'transcript':
        if (e.final) {
          setPartial('');
          replyOpen = false;
          if (String(e.text)) setLines((ls) => [...ls, { who: 'caller', text: String(e.text) }]);
        } else setPartial(String(e.text));
        break;
      case 'response_text_delta':
        if (replyOpen) updateLast((l) => ({ ...l, text: l.text + String(e.text) }));
        else setLines((ls) => [...ls, { who: 'secretary', text: String(e.text) }]);
        replyOpen = true;
        break;
      case 'interrupted': {
        setInterruptions((n) => n + 1);
        const heard = String(e.spoken_text ?? '');
        setLines((ls) => {
          const i = ls.map((l) => l.who).lastIndexOf('secretary');
          return i < 0 ? ls : ls.map((l, k) => (k === i ? { ...l, interrupted: { heard } } : l));
        });
        break;
      }
      case 'turn_metrics':
        replyOpen = false;
        setMetrics((m) => [...m, e.metrics as TurnMetrics]);
        break;
      case 'error':
        setServerError(`${String(e.message)} (${String(e.code)})`);
        break;
    }
  };

  const dial = () => {
    setLines([]);
    setPartial('');
    setMetrics([]);
    setCounters(ZERO);
    setInterruptions(0);
    setServerError(null);
    replyOpen = false;
    call = new VoiceCall({ state: setState, event: onEvent, counters: setCounters });
  };
  const hangUp = () => call?.hangUp();
  onCleanup(() => call?.hangUp());

  const inCall = () => {
    const s = state();
    return s?.kind === 'connecting' || s?.kind === 'live';
  };
  const ms = (v: number | undefined) => (v === undefined ? '—' : formatNumber(Math.round(v)));

  return (
    <section>
      <h1>{t('nav.softphone')}</h1>
      <p class="muted">{t('phone.intro')}</p>
      <Show when={can('operator')} fallback={<p class="muted">{t('phone.operatorOnly')}</p>}>
        <div class="card row">
          <Show
            when={inCall()}
            fallback={
              <button type="button" class="primary" onClick={dial}>
                {t('phone.call')}
              </button>
            }
          >
            <button type="button" class="danger" onClick={hangUp}>
              {t('phone.hangUp')}
            </button>
          </Show>
          <p role="status" data-testid="call-state">
            {(() => {
              const s = state();
              if (!s) return t('phone.idle');
              if (s.kind === 'connecting') return t('phone.connecting');
              if (s.kind === 'live') return t('phone.live');
              if (s.kind === 'ended') return t('phone.ended', { reason: s.reason });
              return t('phone.failed');
            })()}
          </p>
        </div>
        <Show when={(() => { const s = state(); return s?.kind === 'failed' ? s : null; })()}>
          {(s) => (
            <div class="error" role="alert">
              <strong>{t('error.title')}: </strong>
              {failureText(s().error)}
            </div>
          )}
        </Show>
        <Show when={serverError()}>
          <div class="error" role="alert">
            <strong>{t('error.title')}: </strong>
            {serverError()}
          </div>
        </Show>
        <dl class="card" aria-label={t('phone.audio')}>
          <dt>{t('phone.framesSent')}</dt>
          <dd data-testid="frames-sent">{formatNumber(counters().framesSent)}</dd>
          <dt>{t('phone.framesReceived')}</dt>
          <dd data-testid="frames-received">{formatNumber(counters().framesReceived)}</dd>
          <dt>{t('phone.framesPlayed')}</dt>
          <dd data-testid="frames-played">{formatNumber(counters().framesPlayed)}</dd>
          <dt>{t('phone.queued')}</dt>
          <dd>{formatNumber(counters().queuedMs)} ms</dd>
          <dt>{t('phone.clears')}</dt>
          <dd data-testid="playout-clears">{formatNumber(counters().clears)}</dd>
          <dt>{t('phone.interruptions')}</dt>
          <dd data-testid="interruptions">{formatNumber(interruptions())}</dd>
        </dl>
        <h2>{t('phone.transcript')}</h2>
        <ol class="card transcript" aria-live="polite" data-testid="transcript">
          <For each={lines()}>
            {(l) => (
              <li class={l.who} data-who={l.who}>
                <strong>{l.who === 'caller' ? t('phone.you') : t('phone.secretary')}: </strong>
                {l.text}
                <Show when={l.interrupted}>
                  {(i) => (
                    <span class="muted" data-testid="interrupted">
                      {' '}
                      {t('phone.interrupted', { heard: i().heard || '—' })}
                    </span>
                  )}
                </Show>
              </li>
            )}
          </For>
          <Show when={partial()}>
            <li class="caller muted">
              <strong>{t('phone.you')}: </strong>
              {partial()}…
            </li>
          </Show>
        </ol>
        <h2>{t('phone.latencies')}</h2>
        <DataTable
          label={t('phone.latencies')}
          testId="turn-metrics"
          columns={[{ head: 'phone.turn', cell: (m: TurnMetrics) => m.turn }, ...STAGES.map((k) => ({ head: () => k, cell: (m: TurnMetrics) => ms(m[k]) }))]}
          rows={metrics()}
        />
      </Show>
    </section>
  );
}
