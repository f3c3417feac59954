/**
 * The frame around every view: a header (title, user, sign out, preferences), the navigation in
 * five groups (a drawer below 800 px, opened by the menu button), and the view for the path.
 */
import { createMemo, createSignal, For, Show, Suspense, type JSX } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import { t } from '../i18n/index.ts';
import { logout, user } from '../lib/api.ts';
import { match, pathname } from '../lib/router.ts';
import { DETAIL_ROUTES, NAV } from '../routes.ts';
import { Preferences } from './Preferences.tsx';

function resolve(p: string): { nav: string; view: JSX.Element } {
  for (const g of NAV) {
    for (const item of g.items) {
      if (item.path === p) return { nav: item.path, view: item.view ? <Dynamic component={item.view} params={{}} /> : <Coming label={item.label} /> };
    }
  }
  for (const r of DETAIL_ROUTES) {
    const params = match(r.pattern, p);
    if (params && r.view) return { nav: r.nav, view: <Dynamic component={r.view} params={params} /> };
  }
  return { nav: '', view: <NotFound path={p} /> };
}

function Coming(props: { label: Parameters<typeof t>[0] }) {
  return (
    <section>
      <h1>{t(props.label)}</h1>
      <h2>{t('coming.title')}</h2>
      <p>{t('coming.body')}</p>
    </section>
  );
}

function NotFound(props: { path: string }) {
  return (
    <section>
      <h1>{t('notFound.title')}</h1>
      <p>{t('notFound.body', { path: props.path })}</p>
    </section>
  );
}

export function Shell() {
  const [menuOpen, setMenuOpen] = createSignal(false);
  const current = createMemo(() => resolve(pathname()));
  return (
    <div class="shell" classList={{ 'menu-open': menuOpen() }}>
      <a class="skip" href="#main">
        {t('app.skip')}
      </a>
      <header class="topbar">
        <button type="button" class="menu-button" aria-expanded={menuOpen()} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen())}>
          {t('nav.menu')}
        </button>
        <span class="brand">{t('app.title')}</span>
        <span class="who muted">{t('auth.signedInAs', { user: user()?.username ?? '', role: user()?.role ?? '' })}</span>
        <button type="button" class="signout" onClick={() => void logout()}>
          {t('auth.logout')}
        </button>
      </header>
      <nav id="nav" class="nav" aria-label={t('nav.label')} onClick={() => setMenuOpen(false)}>
        <For each={NAV}>
          {(g) => (
            <div class="nav-group">
              <h2>{t(g.label)}</h2>
              <ul>
                <For each={g.items}>
                  {(item) => (
                    <li>
                      <a href={item.path} aria-current={current().nav === item.path ? 'page' : undefined} classList={{ coming: !item.view }}>
                        {t(item.label)}
                        <Show when={!item.view}>
                          <span class="badge">{t('nav.coming')}</span>
                        </Show>
                      </a>
                    </li>
                  )}
                </For>
              </ul>
            </div>
          )}
        </For>
        <Preferences />
      </nav>
      <main id="main" class="content" tabindex="-1">
        <Suspense fallback={<p class="muted">{t('app.loading')}</p>}>{current().view}</Suspense>
      </main>
    </div>
  );
}
