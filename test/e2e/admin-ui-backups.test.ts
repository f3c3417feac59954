/**
 * Backups from the admin UI in Chromium: make one, download it (the file is the zip the API
 * serves), an upload that is not a backup refused in words, restore only after typing the name,
 * which puts the data back and ends the session (the page returns to sign-in).
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { axeViolations, startAdminUi } from './helpers/admin-browser.ts';

t.setTimeout(300_000);

t.test('backups: create, download, a bad upload, restore with confirmation', async (t) => {
  const ui = await startAdminUi();
  t.teardown(ui.close);
  await ui.user('ada', 'admin');
  await ui.sg.controlPlane.repos.faq.create({ question: 'Before the backup?', answer: 'Yes.' });
  const ctx = await ui.context();
  const page = await ctx.newPage();
  await ui.signIn(page, 'ada');
  await page.goto('/backups');
  await page.getByRole('button', { name: 'Make a backup now' }).click();
  await page.getByText(/^Backup .+\.zip made\.$/).waitFor();
  const name = /^Backup (.+\.zip) made\.$/.exec((await page.getByText(/^Backup .+\.zip made\.$/).textContent())!)![1];
  await page.getByRole('cell', { name, exact: true }).waitFor();
  t.same((await axeViolations(page)).map((v) => v.id), [], 'the backups view passes axe');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Download: ${name}` }).click()]);
  t.equal(download.suggestedFilename(), name);
  const zip = readFileSync((await download.path())!);
  t.equal(zip.subarray(0, 2).toString('latin1'), 'PK', 'a zip file');
  const token = await ui.sg.userToken('checker', 'admin');
  const viaApi = Buffer.from(await (await fetch(`${ui.sg.base}/admin/backups/${name}`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer());
  t.ok(zip.equals(viaApi), 'the downloaded file is the backup, byte for byte');

  await page.getByLabel('Upload a backup (.zip)').setInputFiles({ name: 'not-a-backup.zip', mimeType: 'application/zip', buffer: Buffer.from('this is not a zip') });
  await page.getByRole('alert').waitFor();
  t.match(await page.getByRole('alert').textContent(), /zip|backup/i, 'the refusal is shown in words');

  // A change after the backup, which the restore takes back.
  await ui.sg.controlPlane.repos.faq.create({ question: 'After the backup?', answer: 'Gone after the restore.' });
  await page.getByRole('button', { name: `Restore: ${name}` }).click();
  const form = page.getByRole('form', { name: `Restore ${name}` });
  const go = form.getByRole('button', { name: 'Restore' });
  t.equal(await go.isDisabled(), true, 'nothing happens before the name is typed');
  await form.getByLabel(`Type ${name} to confirm`).fill(name);
  await go.click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  const questions = (await ui.sg.controlPlane.repos.faq.list()).map((e) => e.question);
  t.same(questions, ['Before the backup?'], 'the data is the backup’s again');
  await ctx.close();
});
