/**
 * TTS: hear a text spoken as it is synthesised ("say it", operators), the engines and their
 * voices, presets (operators change them), the sentence cache (operators empty it), and which
 * engine new calls get (admins choose).
 */
import { createResource, createSignal, Show } from 'solid-js';
import { EngineChoice } from '../components/EngineChoice.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { formatNumber, t } from '../i18n/index.ts';
import { api, can } from '../lib/api.ts';
import { SayIt } from './tts/SayIt.tsx';
import type { TtsCacheAnswer, TtsPreset, TtsVoices as Voices } from './tts/tts-types.ts';
import { TtsPresets } from './tts/TtsPresets.tsx';
import { TtsVoices } from './tts/TtsVoices.tsx';
import { valueOf } from '../lib/resource-value.ts';

const mb = (n: number) => formatNumber(n / 1024 / 1024, { maximumFractionDigits: 1 }) + ' MB';

export default function Tts() {
  const [voices] = createResource(() => api<Voices>('GET', '/admin/tts/voices'));
  const [presets, { refetch: refetchPresets }] = createResource(() => api<{ items: TtsPreset[] }>('GET', '/admin/tts/presets').then((r) => r.items));
  const [cache, { refetch: refetchCache }] = createResource(() => api<TtsCacheAnswer>('GET', '/admin/tts/cache'));
  const [cacheError, setCacheError] = createSignal<unknown>(null);

  const clearCache = async () => {
    setCacheError(null);
    try {
      await api('DELETE', '/admin/tts/cache');
    } catch (err) {
      setCacheError(err);
    }
    await refetchCache();
  };

  return (
    <section>
      <h1>{t('nav.tts')}</h1>
      <ErrorBox error={voices.error ?? presets.error} />
      <Show when={can('operator')} fallback={<p class="muted">{t('common.readOnly')}</p>}>
        <SayIt presets={valueOf(presets) ?? []} />
      </Show>
      {/* The espeak choice takes an espeak-ng voice; the other engines' voices are no choice there. */}
      <EngineChoice kind="tts" voices={valueOf(voices)?.items.filter((v) => v.engine === 'espeak-ng').map((v) => v.id)} />
      <TtsPresets presets={valueOf(presets)} voices={valueOf(voices)} changed={refetchPresets} />

      <section aria-labelledby="tts-cache">
        <h2 id="tts-cache">{t('tts.cache')}</h2>
        <ErrorBox error={cacheError() ?? cache.error} />
        <Show when={valueOf(cache)}>
          {(c) => (
            <dl class="card" data-testid="tts-cache">
              <dt>{t('tts.cache.entries')}</dt>
              <dd data-testid="cache-entries">{formatNumber(c().cache.entries)}</dd>
              <dt>{t('tts.cache.size')}</dt>
              <dd>{t('tts.cache.sizeOf', { used: mb(c().cache.bytes), max: mb(c().cache.max_bytes) })}</dd>
              <dt>{t('tts.cache.hits')}</dt>
              <dd>{t('tts.cache.hitsOf', { hits: c().cache.hits, misses: c().cache.misses, ratio: formatNumber(c().cache.hit_ratio, { style: 'percent' }) })}</dd>
              <dt>{t('tts.cache.streams')}</dt>
              <dd>{t('tts.cache.streamsOf', { streams: c().streams.streams, active: c().streams.active, sentences: c().streams.sentences, failures: c().streams.failures })}</dd>
            </dl>
          )}
        </Show>
        <div class="actions">
          <button type="button" onClick={() => void refetchCache()}>
            {t('tts.cache.refresh')}
          </button>
          <Show when={can('operator')}>
            <button type="button" class="danger" onClick={() => void clearCache()}>
              {t('tts.cache.clear')}
            </button>
          </Show>
        </div>
      </section>
      <TtsVoices voices={valueOf(voices)} />
    </section>
  );
}
