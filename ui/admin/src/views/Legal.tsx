/**
 * Legal / GDPR (admins): consents given or refused (list, filter, record one, withdraw), and a
 * person's rights by their contact (a phone number, a Telegram or chat id, an e-mail): everything
 * held about them as a JSON download, or erasure of it all after typing the contact again. The
 * API keeps the person out of URLs and audit rows (docs/control-plane.md).
 */
import { Show } from 'solid-js';
import { t } from '../i18n/index.ts';
import { can } from '../lib/api.ts';
import { Consents } from './legal/Consents.tsx';
import { SubjectRights } from './legal/SubjectRights.tsx';

export default function Legal() {
  return (
    <section>
      <h1>{t('nav.legal')}</h1>
      <Show when={can('admin')} fallback={<p class="muted">{t('legal.adminOnly')}</p>}>
        <SubjectRights />
        <Consents />
      </Show>
    </section>
  );
}
