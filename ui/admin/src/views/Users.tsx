/**
 * Users and roles (admins): who may sign in and what they may do (viewer reads, operator changes
 * the business data, admin everything); add, change role, disable or enable, reset a password,
 * delete. The API keeps the last admin from being demoted, disabled or deleted and says so.
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import { actionsColumn, DataTable, RowButton, type Column } from '../components/DataTable.tsx';
import { createActions, Feedback } from '../components/Feedback.tsx';
import { FormCard, SelectField, TextField } from '../components/Form.tsx';
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
const roleOptions = () => <For each={ROLES}>{(r) => <option value={r}>{t(`users.role.${r}`)}</option>}</For>;

export default function Users() {
  const [users, { refetch }] = createResource(
    () => can('admin'),
    () => api<{ items: UserRow[] }>('GET', '/admin/users').then((r) => r.items),
  );
  // Reloaded after a refusal too: a role select must show the role the user still has.
  const { error, notice, run, remove } = createActions(refetch);
  const [draft, setDraft] = createSignal({ username: '', password: '', role: 'viewer' as Role });
  const [resetFor, setResetFor] = createSignal<UserRow | null>(null);
  const [newPassword, setNewPassword] = createSignal('');

  const add = () =>
    void run(async () => {
      await api('POST', '/admin/users', draft());
      setDraft({ username: '', password: '', role: 'viewer' });
    }, t('common.saved'));
  const patch = (u: UserRow, body: Record<string, unknown>) => void run(() => api('PATCH', `/admin/users/${u.id}`, body), t('common.saved'));
  const reset = () => {
    const u = resetFor();
    if (!u) return;
    void run(async () => {
      await api('PATCH', `/admin/users/${u.id}`, { password: newPassword() });
      setResetFor(null);
      setNewPassword('');
    }, t('users.passwordSet', { user: u.username }));
  };

  const columns: Column<UserRow>[] = [
    {
      head: 'auth.username',
      cell: (u) => (
        <>
          {u.username}
          <Show when={u.id === user()?.id}>
            <span class="muted"> ({t('users.you')})</span>
          </Show>
        </>
      ),
    },
    {
      head: 'users.role',
      cell: (u) => (
        <select aria-label={t('users.roleOf', { user: u.username })} value={u.role} onChange={(e) => patch(u, { role: e.currentTarget.value })}>
          {roleOptions()}
        </select>
      ),
    },
    { head: 'users.lastLogin', cell: (u) => formatDateTime(u.last_login_at) },
    { head: 'users.enabled', cell: (u) => (u.disabled ? t('common.no') : t('common.yes')) },
    actionsColumn((u) => (
      <>
        <RowButton label={u.disabled ? t('users.enable') : t('users.disable')} of={u.username} onClick={() => patch(u, { disabled: !u.disabled })} />
        <RowButton label={t('users.resetPassword')} of={u.username} onClick={() => setResetFor(u)} />
        <RowButton label={t('common.delete')} of={u.username} onClick={() => remove(u.username, () => api('DELETE', `/admin/users/${u.id}`))} danger />
      </>
    )),
  ];

  return (
    <section>
      <h1>{t('nav.users')}</h1>
      <Show when={can('admin')} fallback={<p class="muted">{t('users.adminOnly')}</p>}>
        <Feedback error={error() ?? users.error} notice={notice()} />
        <DataTable label={t('nav.users')} columns={columns} rows={users()} />
        <Show when={resetFor()}>
          {(u) => (
            <FormCard id="reset-form" title={t('users.resetFor', { user: u().username })} submit={t('common.save')} onSubmit={reset} onCancel={() => setResetFor(null)}>
              <TextField label={t('users.newPassword')} name="new-password" type="password" autocomplete="new-password" required minLength={10} value={newPassword()} onValue={setNewPassword} />
            </FormCard>
          )}
        </Show>
        <FormCard id="user-form" title={t('users.new')} onSubmit={add}>
          <div class="row">
            <TextField label={t('auth.username')} name="username" required autocomplete="off" value={draft().username} onValue={(v) => setDraft({ ...draft(), username: v })} />
            <TextField label={t('auth.password')} name="password" type="password" autocomplete="new-password" required value={draft().password} onValue={(v) => setDraft({ ...draft(), password: v })} />
            <SelectField label={t('users.role')} name="role" value={draft().role} onValue={(v) => setDraft({ ...draft(), role: v as Role })}>
              {roleOptions()}
            </SelectField>
          </div>
        </FormCard>
      </Show>
    </section>
  );
}
