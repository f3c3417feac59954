/**
 * "Say it": a text spoken by the TTS engine, heard while it is still being synthesised. The reply
 * of `POST /admin/tts/stream` (raw PCM16, a sentence at a time) is read piece by piece and each
 * piece is scheduled on Web Audio at once (lib/pcm-stream-player.ts); the time from pressing the
 * button to the first piece of audio is shown, as an owner would feel it on a call.
 */
import { createSignal, For, onCleanup, Show } from 'solid-js';
import { ErrorBox } from '../../components/ErrorBox.tsx';
import { formatNumber, t } from '../../i18n/index.ts';
import { authorized } from '../../lib/api.ts';
import { PcmStreamPlayer } from '../../lib/pcm-stream-player.ts';
import type { TtsPreset } from './tts-types.ts';

/** The stream's rate: twice 24 kHz is the usual 48 kHz output, so the browser's resampling is clean. */
const STREAM_RATE = 24000;
/** How often the "played" figure is refreshed while sound is playing. */
const TICK_MS = 100;

type SayState =
  | { kind: 'idle' }
  | { kind: 'waiting'; player: null }
  /** `receivedMs`: when the last byte of the reply came (null while it is still coming). */
  | { kind: 'playing'; player: PcmStreamPlayer; ttfaMs: number; receivedMs: number | null }
  | { kind: 'done'; player: PcmStreamPlayer; ttfaMs: number; receivedMs: number }
  | { kind: 'stopped'; player: PcmStreamPlayer | null; ttfaMs: number | null }
  | { kind: 'failed'; error: unknown };

const seconds = (s: number) => formatNumber(s, { style: 'unit', unit: 'second', unitDisplay: 'short', minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function SayIt(props: { presets: TtsPreset[] }) {
  const [text, setText] = createSignal(t('tts.say.sample'));
  const [presetId, setPresetId] = createSignal('');
  const [state, setState] = createSignal<SayState>({ kind: 'idle' });
  // Re-read while playing: the player's figures are not signals.
  const [tick, setTick] = createSignal(0);
  let ctx: AudioContext | null = null;
  let abort: AbortController | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;

  const stopTicking = () => {
    clearInterval(timer);
    setTick(tick() + 1);
  };
  onCleanup(() => {
    abort?.abort();
    stopTicking();
    void ctx?.close();
  });

  const say = async (e: SubmitEvent) => {
    e.preventDefault();
    // The previous reply stops sounding too: its buffers are already scheduled on the audio clock.
    stop();
    // Made inside the click, so the browser's autoplay rule lets it sound.
    ctx ??= new AudioContext({ latencyHint: 'interactive' });
    void ctx.resume();
    const mine = (abort = new AbortController());
    const started = performance.now();
    setState({ kind: 'waiting', player: null });
    clearInterval(timer);
    timer = setInterval(() => setTick(tick() + 1), TICK_MS);
    let player: PcmStreamPlayer | null = null;
    let ttfaMs: number | null = null;
    try {
      const body = { text: text(), target_sample_rate: STREAM_RATE, ...(presetId() ? { preset_id: Number(presetId()) } : {}) };
      const res = await authorized('/admin/tts/stream', { method: 'POST', signal: mine.signal, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const p = (player = new PcmStreamPlayer(ctx, Number(res.headers.get('x-sample-rate')) || STREAM_RATE));
      const reader = res.body!.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (p.push(value) > 0 && ttfaMs === null) {
          ttfaMs = Math.round(performance.now() - started);
          setState({ kind: 'playing', player: p, ttfaMs, receivedMs: null });
        }
      }
      const receivedMs = Math.round(performance.now() - started);
      if (ttfaMs !== null) setState({ kind: 'playing', player: p, ttfaMs, receivedMs });
      await p.drained();
      if (abort !== mine) return;
      setState(ttfaMs === null || mine.signal.aborted ? { kind: 'stopped', player: p, ttfaMs } : { kind: 'done', player: p, ttfaMs, receivedMs });
    } catch (err) {
      if (abort !== mine) return; // a newer request took over
      setState(mine.signal.aborted ? { kind: 'stopped', player, ttfaMs } : { kind: 'failed', error: err });
    } finally {
      if (abort === mine) stopTicking();
    }
  };

  const stop = () => {
    const s = state();
    abort?.abort();
    if (s.kind === 'playing' || s.kind === 'waiting') s.player?.stop();
  };

  const player = () => {
    const s = state();
    return 'player' in s ? s.player : null;
  };
  /** Seconds played and received; `tick` makes it re-read the player while sound is playing. */
  const figures = (p: PcmStreamPlayer) => {
    tick();
    return { played: p.playedSeconds, received: p.receivedSeconds };
  };
  const ttfa = () => {
    const s = state();
    return 'ttfaMs' in s ? s.ttfaMs : null;
  };
  const receivedMs = () => {
    const s = state();
    return 'receivedMs' in s ? s.receivedMs : null;
  };
  const busy = () => state().kind === 'waiting' || state().kind === 'playing';

  return (
    <form class="card" onSubmit={(e) => void say(e)} aria-labelledby="say-it">
      <h2 id="say-it">{t('tts.say.title')}</h2>
      <label>
        {t('tts.say.text')}
        <textarea name="say-text" required maxLength={10000} value={text()} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      <div class="row">
        <label>
          {t('tts.say.voice')}
          <select name="say-preset" value={presetId()} onChange={(e) => setPresetId(e.currentTarget.value)}>
            <option value="">{t('tts.say.defaultVoice')}</option>
            <For each={props.presets}>{(p) => <option value={String(p.id)}>{p.name}</option>}</For>
          </select>
        </label>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy()}>
            {t('tts.say.button')}
          </button>
          <button type="button" disabled={!busy()} onClick={stop}>
            {t('tts.say.stop')}
          </button>
        </div>
      </div>
      <p role="status" data-testid="say-state" data-state={state().kind}>
        {t(`tts.say.state.${state().kind}`)}
      </p>
      <Show when={state().kind === 'failed'}>
        <ErrorBox error={(state() as { error: unknown }).error} />
      </Show>
      <Show when={ttfa() !== null}>
        <p data-testid="say-ttfa">{t('tts.say.ttfa', { ms: ttfa()! })}</p>
      </Show>
      <Show when={receivedMs() !== null}>
        <p data-testid="say-received">{t('tts.say.received', { ms: receivedMs()! })}</p>
      </Show>
      <Show when={player()}>
        {(p) => (
          <p class="muted" data-testid="say-audio" data-played={figures(p()).played.toFixed(2)} data-received={figures(p()).received.toFixed(2)}>
            {t('tts.say.audio', { played: seconds(figures(p()).played), received: seconds(figures(p()).received) })}
          </p>
        )}
      </Show>
    </form>
  );
}
