/** Language and theme pickers (labelled selects, so keyboard and screen readers can use them). */
import { For } from 'solid-js';
import { LOCALES, locale, setLocale, t, type Locale } from '../i18n/index.ts';
import { setTheme, theme, THEMES, type Theme } from '../lib/theme.ts';

const LOCALE_NAMES: Record<Locale, string> = { en: 'English', ru: 'Русский' };

export function Preferences() {
  return (
    <div class="prefs">
      <label>
        {t('prefs.language')}
        <select name="language" value={locale()} onChange={(e) => setLocale(e.currentTarget.value as Locale)}>
          <For each={LOCALES}>{(l) => <option value={l} lang={l}>{LOCALE_NAMES[l]}</option>}</For>
        </select>
      </label>
      <label>
        {t('prefs.theme')}
        <select name="theme" value={theme()} onChange={(e) => setTheme(e.currentTarget.value as Theme)}>
          <For each={THEMES}>{(th) => <option value={th}>{t(`prefs.theme.${th}`)}</option>}</For>
        </select>
      </label>
    </div>
  );
}
