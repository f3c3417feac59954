/**
 * The TTS engines (rate, health in words) and the voices each offers. espeak-ng alone has over a
 * hundred, so the list is filtered by a text (id, name or language) and shows the first rows only.
 */
import { createMemo, createSignal, For } from 'solid-js';
import { DataTable, type Column } from '../../components/DataTable.tsx';
import { formatNumber, t } from '../../i18n/index.ts';
import type { TtsVoices as Voices } from './tts-types.ts';

const SHOWN = 40;
type Voice = Voices['items'][number];
const COLUMNS: Column<Voice>[] = [
  { head: 'tts.voice', cell: (v) => v.id },
  { head: 'tts.voice.name', cell: (v) => v.name },
  { head: 'tts.language', cell: (v) => v.language ?? t('common.none') },
  { head: 'tts.engine', cell: (v) => v.engine },
];

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
      <DataTable label={t('tts.voices')} columns={COLUMNS} rows={matching().slice(0, SHOWN)} />
    </section>
  );
}
