/**
 * About: which gateway this is (version, commit, UI build), what it runs on, and its engines now.
 * Fields that the route may give in more than one form (engines with or without VAD and LLM, or
 * none on a gateway without speech engines; the UI build as a hash or with its time) are shown as
 * they come.
 */
import { createResource, Show } from 'solid-js';
import { RouteProblem } from '../components/RouteProblem.tsx';
import { formatDateTime, formatNumber, t } from '../i18n/index.ts';
import { api } from '../lib/api.ts';
import { valueOf } from '../lib/resource-value.ts';

interface AboutAnswer {
  version: string | null;
  commit: string | null;
  node: string;
  platform: string;
  arch?: string;
  uptime_s: number;
  started_at: string;
  database: 'sqlite' | 'postgres';
  /** Engine names by kind; null without speech engines. */
  engines: Partial<Record<string, string | null>> | null;
  ui_build: string | { hash: string; built_at: string | null } | null;
}

const ENGINE_ORDER = ['vad', 'stt', 'tts', 'llm'];

function enginesText(e: AboutAnswer['engines']): string {
  if (!e) return t('about.noEngines');
  const kinds = Object.keys(e).sort((a, b) => (ENGINE_ORDER.indexOf(a) + 1 || 99) - (ENGINE_ORDER.indexOf(b) + 1 || 99));
  return kinds.map((k) => `${k.toUpperCase()} ${e[k] ?? t('common.none')}`).join(', ');
}

function buildText(b: AboutAnswer['ui_build']): string {
  if (!b) return t('common.none');
  if (typeof b === 'string') return b;
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
      <RouteProblem error={about.error} route="/admin/about" />
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
            <dd>{a().arch ? `${a().platform} (${a().arch})` : a().platform}</dd>
            <dt>{t('about.database')}</dt>
            <dd>{a().database === 'postgres' ? 'PostgreSQL' : 'SQLite'}</dd>
            <dt>{t('about.uptime')}</dt>
            <dd>{t('about.uptimeSince', { uptime: uptime(a().uptime_s), since: formatDateTime(a().started_at) })}</dd>
            <dt>{t('about.engines')}</dt>
            <dd>{enginesText(a().engines)}</dd>
          </dl>
        )}
      </Show>
    </section>
  );
}
