/** About: which gateway this is (version, commit, UI build), what it runs on, and its engines now. */
import { createResource, Show } from 'solid-js';
import { RouteProblem } from '../components/RouteProblem.tsx';
import { formatDateTime, formatNumber, t } from '../i18n/index.ts';
import { api } from '../lib/api.ts';
import { valueOf } from '../lib/resource-value.ts';

interface AboutAnswer {
  version: string;
  commit: string | null;
  node: string;
  platform: string;
  uptime_s: number;
  started_at: string;
  database: 'sqlite' | 'postgres';
  /** Engine names; anything richer is shown as JSON rather than as "[object Object]". */
  engines: Record<'vad' | 'stt' | 'tts' | 'llm', unknown>;
  ui_build: string | null;
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
  const none = (v: unknown) => (v === null || v === undefined ? t('common.none') : typeof v === 'string' ? v : JSON.stringify(v));
  return (
    <section>
      <h1>{t('nav.about')}</h1>
      <RouteProblem error={about.error} route="/admin/about" />
      <Show when={valueOf(about)}>
        {(a) => (
          <dl class="card" data-testid="about">
            <dt>{t('about.version')}</dt>
            <dd data-testid="about-version">{a().version}</dd>
            <dt>{t('about.commit')}</dt>
            <dd>
              <code>{none(a().commit)}</code>
            </dd>
            <dt>{t('about.uiBuild')}</dt>
            <dd>
              <code>{none(a().ui_build)}</code>
            </dd>
            <dt>{t('about.node')}</dt>
            <dd>{a().node}</dd>
            <dt>{t('about.platform')}</dt>
            <dd>{a().platform}</dd>
            <dt>{t('about.database')}</dt>
            <dd>{a().database === 'postgres' ? 'PostgreSQL' : 'SQLite'}</dd>
            <dt>{t('about.uptime')}</dt>
            <dd>{t('about.uptimeSince', { uptime: uptime(a().uptime_s), since: formatDateTime(a().started_at) })}</dd>
            <dt>{t('about.engines')}</dt>
            <dd>{t('about.enginesOf', { vad: none(a().engines.vad), stt: none(a().engines.stt), tts: none(a().engines.tts), llm: none(a().engines.llm) })}</dd>
          </dl>
        )}
      </Show>
    </section>
  );
}
