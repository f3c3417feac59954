/**
 * About: which gateway this is (version, commit, UI build), what it runs on, how long it has run,
 * and its engines now (none on a gateway running the echo pipeline).
 */
import { createResource, Show } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { formatDateTime, formatNumber, t } from '../i18n/index.ts';
import { api } from '../lib/api.ts';
import type { AboutAnswer } from '../lib/engines-api.ts';
import { valueOf } from '../lib/resource-value.ts';

function buildText(b: AboutAnswer['ui_build']): string {
  if (!b) return t('common.none');
  return b.built_at ? t('about.uiBuildAt', { hash: b.hash.slice(0, 12), at: formatDateTime(b.built_at) }) : b.hash.slice(0, 12);
}

/** "2 d 3 h 4 min" in the chosen locale's units. */
function uptime(totalS: number): string {
  const parts: Array<[number, string]> = [
    [Math.floor(totalS / 86400), 'day'],
    [Math.floor((totalS % 86400) / 3600), 'hour'],
    [Math.floor((totalS % 3600) / 60), 'minute'],
  ];
  const shown = parts.filter(([n]) => n > 0).map(([n, unit]) => formatNumber(n, { style: 'unit', unit, unitDisplay: 'short' }));
  return shown.length ? shown.join(' ') : formatNumber(Math.floor(totalS), { style: 'unit', unit: 'second', unitDisplay: 'short' });
}

export default function About() {
  const [about] = createResource(() => api<AboutAnswer>('GET', '/admin/about'));
  const none = (v: string | null) => v ?? t('common.none');
  return (
    <section>
      <h1>{t('nav.about')}</h1>
      <ErrorBox error={about.error} />
      <Show when={valueOf(about)}>
        {(a) => (
          <dl class="card" data-testid="about">
            <dt>{t('about.version')}</dt>
            <dd data-testid="about-version">{none(a().version)}</dd>
            <dt>{t('about.commit')}</dt>
            <dd>
              <code>{none(a().commit)}</code>
            </dd>
            <dt>{t('about.uiBuild')}</dt>
            <dd>
              <code>{buildText(a().ui_build)}</code>
            </dd>
            <dt>{t('about.node')}</dt>
            <dd>{a().node}</dd>
            <dt>{t('about.platform')}</dt>
            <dd>{`${a().platform} (${a().arch})`}</dd>
            <dt>{t('about.database')}</dt>
            <dd>{a().database === 'postgres' ? 'PostgreSQL' : 'SQLite'}</dd>
            <dt>{t('about.uptime')}</dt>
            <dd>{t('about.uptimeSince', { uptime: uptime(a().uptime_s), since: formatDateTime(a().started_at) })}</dd>
            <dt>{t('about.engines')}</dt>
            <dd data-testid="about-engines">{a().engines ? `STT ${a().engines!.stt}, TTS ${a().engines!.tts}` : t('about.noEngines')}</dd>
          </dl>
        )}
      </Show>
    </section>
  );
}
