/** Signed in (from the refresh cookie on load, or after the login page): the shell; otherwise the login page. */
import { createSignal, Match, onMount, Switch } from 'solid-js';
import { Login } from './components/Login.tsx';
import { Shell } from './components/Shell.tsx';
import { t } from './i18n/index.ts';
import { refresh, user } from './lib/api.ts';

export function App() {
  const [restoring, setRestoring] = createSignal(true);
  onMount(() => void refresh().finally(() => setRestoring(false)));
  return (
    <Switch>
      <Match when={restoring()}>
        <p class="muted boot" role="status">
          {t('app.loading')}
        </p>
      </Match>
      <Match when={user()}>
        <Shell />
      </Match>
      <Match when={!user()}>
        <Login />
      </Match>
    </Switch>
  );
}
