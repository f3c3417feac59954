/**
 * The TTS engines (rate, health in words) and the voices each offers. espeak-ng alone has over a
 * hundred, so the list is filtered by a text (id, name or language) and shows the first rows only.
 */
import { createMemo, createSignal, For, Show } from 'solid-js';
import { formatNumber, t } from '../../i18n/index.ts';
import type { TtsVoices as Voices } from './tts-types.ts';

const SHOWN = 40;

export function TtsVoices(props: { voices: Voices | undefined }) {
  const [filter, setFilter] = createSignal('');
  const matching = createMemo(() => {
    const f = filter().trim().toLowerCase();
    const all = props.voices?.items ?? [];
    return f ? all.filter((v) => [v.id, v.name, v.language ?? '', v.engine].some((x) => x.toLowerCase().includes(f))) : all;
  });

  return (
    <section aria-labelledby="tts-voices">
      <h2 id="tts-voices">{t('tts.voices')}</h2>
      <ul class="plain" data-testid="tts-engines">
        <For each={props.voices?.engines}>
          {(e) => (
            <li>
              <strong>{e.name}</strong>
              {e.name === props.voices?.default_engine ? ` (${t('tts.defaultEngine')})` : ''}: {formatNumber(e.sample_rate)} Hz,{' '}
              <span classList={{ 'status-ok': e.health.ok, 'status-error': !e.health.ok }}>{e.health.ok ? t('tts.healthy') : t('tts.unhealthy')}</span>
              {e.health.detail ? ` (${e.health.detail})` : ''}
            </li>
          )}
        </For>
      </ul>
      <label>
        {t('tts.voices.filter')}
        <input name="voice-filter" type="search" value={filter()} onInput={(e) => setFilter(e.currentTarget.value)} />
      </label>
      <p class="muted" role="status">
        {t('tts.voices.count', { shown: Math.min(SHOWN, matching().length), total: matching().length })}
      </p>
      <div class="table-wrap" tabindex="0" role="region" aria-label={t('tts.voices')}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('tts.voice')}</th>
              <th scope="col">{t('tts.voice.name')}</th>
              <th scope="col">{t('tts.language')}</th>
              <th scope="col">{t('tts.engine')}</th>
            </tr>
          </thead>
          <tbody>
            <Show when={matching().length === 0}>
              <tr>
                <td colSpan={4}>{t('common.empty')}</td>
              </tr>
            </Show>
            <For each={matching().slice(0, SHOWN)}>
              {(v) => (
                <tr>
                  <td>{v.id}</td>
                  <td>{v.name}</td>
                  <td>{v.language ?? t('common.none')}</td>
                  <td>{v.engine}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </section>
  );
}
