/**
 * STT: the recognition engine's status, transcribing an uploaded recording (operators; WAV, MP3,
 * FLAC or Ogg Opus, told apart by the gateway from the bytes), and which engine new calls get
 * (admins choose).
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import { EngineChoice } from '../components/EngineChoice.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { formatNumber, t } from '../i18n/index.ts';
import { api, authorized, can } from '../lib/api.ts';
import { valueOf } from '../lib/resource-value.ts';

interface SttStatus {
  engine: string;
  started: boolean;
  streaming: boolean;
  health: { name: string; ok: boolean; detail?: string } | null;
  transcriptions: number;
  failures: number;
  max_seconds: number;
}
interface Transcription {
  text: string;
  alternatives: string[];
  confidence: number | null;
  latency_ms: number;
  duration_s: number;
  engine: string;
  format: string;
}

export default function Stt() {
  const [status, { refetch }] = createResource(() => api<SttStatus>('GET', '/admin/stt/status'));
  const [file, setFile] = createSignal<File | null>(null);
  const [language, setLanguage] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [result, setResult] = createSignal<Transcription | null>(null);
  const [error, setError] = createSignal<unknown>(null);

  const transcribe = async (e: SubmitEvent) => {
    e.preventDefault();
    const f = file();
    if (!f) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const q = language().trim() ? `?language=${encodeURIComponent(language().trim())}` : '';
      // The bytes as they are: the gateway tells the format from them, not from a name or type.
      const res = await authorized(`/admin/stt/transcribe${q}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: f });
      setResult((await res.json()) as Transcription);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      void refetch();
    }
  };

  return (
    <section>
      <h1>{t('nav.stt')}</h1>
      <h2>{t('stt.status')}</h2>
      <ErrorBox error={status.error} />
      <Show when={valueOf(status)}>
        {(s) => (
          <dl class="card" data-testid="stt-status">
            <dt>{t('stt.engine')}</dt>
            <dd>{s().engine}</dd>
            <dt>{t('stt.state')}</dt>
            <dd>
              <Show when={s().health} fallback={t('stt.notStarted')}>
                {(h) => (
                  <span classList={{ 'status-ok': h().ok, 'status-error': !h().ok }}>
                    {h().ok ? t('tts.healthy') : t('tts.unhealthy')}
                    {h().detail ? ` (${h().detail})` : ''}
                  </span>
                )}
              </Show>
            </dd>
            <dt>{t('stt.streaming')}</dt>
            <dd>{s().streaming ? t('common.yes') : t('common.no')}</dd>
            <dt>{t('stt.counts')}</dt>
            <dd data-testid="stt-counts">{t('stt.countsOf', { done: s().transcriptions, failed: s().failures })}</dd>
            <dt>{t('stt.maxLength')}</dt>
            <dd>{formatNumber(s().max_seconds, { style: 'unit', unit: 'second', unitDisplay: 'short' })}</dd>
          </dl>
        )}
      </Show>

      <Show when={can('operator')} fallback={<p class="muted">{t('common.readOnly')}</p>}>
        <form class="card" onSubmit={(e) => void transcribe(e)} aria-labelledby="stt-upload">
          <h2 id="stt-upload">{t('stt.transcribe')}</h2>
          <div class="row">
            <label>
              {t('stt.file')}
              <input name="audio" type="file" required accept="audio/*,.wav,.mp3,.flac,.ogg,.opus" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
            </label>
            <label>
              {t('stt.language')}
              <input name="language" maxLength={35} placeholder="en, ru" value={language()} onInput={(e) => setLanguage(e.currentTarget.value)} />
            </label>
            <button type="submit" class="primary" disabled={busy() || !file()}>
              {busy() ? t('stt.working') : t('stt.transcribeButton')}
            </button>
          </div>
          <ErrorBox error={error()} />
          <Show when={result()}>
            {(r) => (
              <div role="status" data-testid="stt-result">
                <p class="transcript">{r().text || t('stt.nothingHeard')}</p>
                <p class="muted">
                  {t('stt.resultFacts', {
                    engine: r().engine,
                    format: r().format,
                    duration: formatNumber(r().duration_s, { maximumFractionDigits: 1 }),
                    ms: r().latency_ms,
                  })}
                  <Show when={r().confidence !== null}> {t('stt.confidence', { value: formatNumber(r().confidence!, { style: 'percent' }) })}</Show>
                </p>
                <Show when={r().alternatives.length > 0}>
                  <p>{t('stt.alternatives')}</p>
                  <ul>
                    <For each={r().alternatives}>{(a) => <li>{a}</li>}</For>
                  </ul>
                </Show>
              </div>
            )}
          </Show>
        </form>
      </Show>
      <EngineChoice kind="stt" />
    </section>
  );
}
