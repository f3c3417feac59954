/** The login page: username and password; the session then lives in memory plus the refresh cookie. */
import { createSignal } from 'solid-js';
import { t } from '../i18n/index.ts';
import { login } from '../lib/api.ts';
import { ErrorBox } from './ErrorBox.tsx';
import { Preferences } from './Preferences.tsx';

export function Login(props: { notice?: string }) {
  const [username, setUsername] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [error, setError] = createSignal<unknown>(null);
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username(), password());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login" id="main">
      <form class="card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">{t('auth.title')}</h1>
        <p class="muted">{t('app.title')}</p>
        {props.notice && <p role="status">{props.notice}</p>}
        <label>
          {t('auth.username')}
          <input name="username" autocomplete="username" required value={username()} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>
          {t('auth.password')}
          <input name="password" type="password" autocomplete="current-password" required value={password()} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <ErrorBox error={error()} />
        <button type="submit" class="primary" disabled={busy()}>
          {t('auth.submit')}
        </button>
        <Preferences />
      </form>
    </main>
  );
}
