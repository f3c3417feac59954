/**
 * Users and roles (admins): who may sign in and what they may do (viewer reads, operator changes
 * the business data, admin everything); add, change role, disable or enable, reset a password,
 * delete. The API keeps the last admin from being demoted, disabled or deleted and says so.
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { formatDateTime, t } from '../i18n/index.ts';
import { api, can, user, type Role } from '../lib/api.ts';

interface UserRow {
  id: number;
  username: string;
  role: Role;
  disabled: boolean;
  last_login_at: string | null;
}
const ROLES: Role[] = ['viewer', 'operator', 'admin'];

export default function Users() {
  const [users, { refetch }] = createResource(
    () => can('admin'),
    () => api<{ items: UserRow[] }>('GET', '/admin/users').then((r) => r.items),
  );
  const [error, setError] = createSignal<unknown>(null);
  const [notice, setNotice] = createSignal('');
  const [draft, setDraft] = createSignal({ username: '', password: '', role: 'viewer' as Role });
  const [resetFor, setResetFor] = createSignal<UserRow | null>(null);
  const [newPassword, setNewPassword] = createSignal('');

  const run = async (what: () => Promise<unknown>, done?: string) => {
    setError(null);
    setNotice('');
    try {
      await what();
      if (done) setNotice(done);
    } catch (err) {
      setError(err);
    } finally {
      // Also after a refusal: a role select must show the role the user still has.
      await refetch();
    }
  };
  const add = (e: SubmitEvent) => {
    e.preventDefault();
    void run(async () => {
      await api('POST', '/admin/users', draft());
      setDraft({ username: '', password: '', role: 'viewer' });
    }, t('common.saved'));
  };
  const patch = (u: UserRow, body: Record<string, unknown>) => void run(() => api('PATCH', `/admin/users/${u.id}`, body), t('common.saved'));
  const reset = (e: SubmitEvent) => {
    e.preventDefault();
    const u = resetFor();
    if (!u) return;
    void run(async () => {
      await api('PATCH', `/admin/users/${u.id}`, { password: newPassword() });
      setResetFor(null);
      setNewPassword('');
    }, t('users.passwordSet', { user: u.username }));
  };
  const remove = (u: UserRow) => {
    if (confirm(t('common.confirmDelete', { name: u.username }))) void run(() => api('DELETE', `/admin/users/${u.id}`));
  };

  return (
    <section>
      <h1>{t('nav.users')}</h1>
      <Show when={can('admin')} fallback={<p class="muted">{t('users.adminOnly')}</p>}>
        <ErrorBox error={error() ?? users.error} />
        <Show when={notice()}>
          <p class="notice" role="status">
            {notice()}
          </p>
        </Show>
        <div class="table-wrap" tabindex="0" role="region" aria-label={t('nav.users')}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('auth.username')}</th>
                <th scope="col">{t('users.role')}</th>
                <th scope="col">{t('users.lastLogin')}</th>
                <th scope="col">{t('users.enabled')}</th>
                <th scope="col">
                  <span class="muted">{t('common.edit')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <For each={users()}>
                {(u) => (
                  <tr>
                    <td>
                      {u.username}
                      <Show when={u.id === user()?.id}>
                        <span class="muted"> ({t('users.you')})</span>
                      </Show>
                    </td>
                    <td>
                      <select aria-label={t('users.roleOf', { user: u.username })} value={u.role} onChange={(e) => patch(u, { role: e.currentTarget.value })}>
                        <For each={ROLES}>{(r) => <option value={r}>{t(`users.role.${r}`)}</option>}</For>
                      </select>
                    </td>
                    <td>{formatDateTime(u.last_login_at)}</td>
                    <td>{u.disabled ? t('common.no') : t('common.yes')}</td>
                    <td class="actions">
                      <button type="button" onClick={() => patch(u, { disabled: !u.disabled })} aria-label={`${u.disabled ? t('users.enable') : t('users.disable')}: ${u.username}`}>
                        {u.disabled ? t('users.enable') : t('users.disable')}
                      </button>
                      <button type="button" onClick={() => setResetFor(u)} aria-label={`${t('users.resetPassword')}: ${u.username}`}>
                        {t('users.resetPassword')}
                      </button>
                      <button type="button" class="danger" onClick={() => remove(u)} aria-label={`${t('common.delete')}: ${u.username}`}>
                        {t('common.delete')}
                      </button>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
        <Show when={resetFor()}>
          {(u) => (
            <form class="card" onSubmit={reset} aria-labelledby="reset-form">
              <h2 id="reset-form">{t('users.resetFor', { user: u().username })}</h2>
              <label>
                {t('users.newPassword')}
                <input name="new-password" type="password" autocomplete="new-password" required minLength={10} value={newPassword()} onInput={(e) => setNewPassword(e.currentTarget.value)} />
              </label>
              <div class="actions">
                <button type="submit" class="primary">
                  {t('common.save')}
                </button>
                <button type="button" onClick={() => setResetFor(null)}>
                  {t('common.cancel')}
                </button>
              </div>
            </form>
          )}
        </Show>
        <form class="card" onSubmit={add} aria-labelledby="user-form">
          <h2 id="user-form">{t('users.new')}</h2>
          <div class="row">
            <label>
              {t('auth.username')}
              <input name="username" required autocomplete="off" value={draft().username} onInput={(e) => setDraft({ ...draft(), username: e.currentTarget.value })} />
            </label>
            <label>
              {t('auth.password')}
              <input name="password" type="password" autocomplete="new-password" required value={draft().password} onInput={(e) => setDraft({ ...draft(), password: e.currentTarget.value })} />
            </label>
            <label>
              {t('users.role')}
              <select name="role" value={draft().role} onChange={(e) => setDraft({ ...draft(), role: e.currentTarget.value as Role })}>
                <For each={ROLES}>{(r) => <option value={r}>{t(`users.role.${r}`)}</option>}</For>
              </select>
            </label>
          </div>
          <button type="submit" class="primary">
            {t('common.add')}
          </button>
        </form>
      </Show>
    </section>
  );
}
