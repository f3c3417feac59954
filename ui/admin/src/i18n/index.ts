/**
 * The UI's language: a signal, remembered in localStorage (a preference, not a secret), with
 * `t(key, params)` for strings and Intl for dates and numbers in the chosen locale.
 */
import { createSignal } from 'solid-js';
import { en, type Dictionary, type MessageKey } from './en.ts';
import { ru } from './ru.ts';

export type Locale = 'en' | 'ru';
export const LOCALES: readonly Locale[] = ['en', 'ru'];
const DICTS: Record<Locale, Dictionary> = { en, ru };
const KEY = 'vg.locale';

function initial(): Locale {
  const saved = localStorage.getItem(KEY);
  if (saved === 'en' || saved === 'ru') return saved;
  return navigator.language.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

const [locale, setLocaleSignal] = createSignal<Locale>(initial());
export { locale };

export function setLocale(l: Locale): void {
  localStorage.setItem(KEY, l);
  setLocaleSignal(l);
  document.documentElement.lang = l;
}
document.documentElement.lang = locale();

export type { MessageKey };

export function t(key: MessageKey, params?: Record<string, string | number>): string {
  const text = DICTS[locale()][key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? formatParam(params[name]) : m));
}

const formatParam = (v: string | number) => (typeof v === 'number' ? formatNumber(v) : v);

export const formatNumber = (n: number, opts?: Intl.NumberFormatOptions) => new Intl.NumberFormat(locale(), opts).format(n);

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return t('common.none');
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'medium' }).format(d);
}

export const formatTime = (d: Date) => new Intl.DateTimeFormat(locale(), { timeStyle: 'medium' }).format(d);

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return t('common.none');
  const s = Math.round(ms / 1000);
  const m = Math.floor(s / 60);
  return m ? `${formatNumber(m)}:${String(s % 60).padStart(2, '0')}` : formatNumber(s, { style: 'unit', unit: 'second', unitDisplay: 'short' });
}
