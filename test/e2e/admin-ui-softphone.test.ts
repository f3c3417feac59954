/**
 * The softphone ("Call the secretary") in Chromium against the real gateway with the real engines
 * (Silero VAD, pocketsphinx, espeak-ng, the built-in secretary). The microphone is Chromium's fake
 * device playing a flite WAV made here, "What are your opening hours?" and silence, which Chromium
 * loops: the question is asked, answered from the FAQ, and asked again over the answer, which is a
 * barge-in. The page reports what it moved (frames sent, received, played) in the DOM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { fliteSpeech, withSilence, writeWav16k } from '../../bench/lib/flite-speech.ts';
import { axeViolations, startAdminUi } from './helpers/admin-browser.ts';
import { until } from '../helpers/until.ts';

t.setTimeout(240_000);

const dir = mkdtempSync(path.join(tmpdir(), 'vg-softphone-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const wav = path.join(dir, 'question.wav');
writeWav16k(wav, withSilence(fliteSpeech('What are your opening hours?'), 500, 2500));

const count = async (page: import('playwright-core').Page, id: string) => Number((await page.getByTestId(id).textContent())?.replace(/\D/g, '') || 0);

t.test('a call from the browser: the question is answered aloud, speaking over the reply interrupts it, hang up', async (t) => {
  const ui = await startAdminUi({
    env: { PIPELINE: 'secretary' },
    chromiumArgs: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`, '--autoplay-policy=no-user-gesture-required'],
  });
  t.teardown(ui.close);
  await ui.user('olga', 'operator');
  const ctx = await ui.context();
  await ctx.grantPermissions(['microphone']);
  const page = await ctx.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // Every answer the page gets from the API: the gateway-wide voice token must be in none.
  const bodies: string[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/admin/')) void r.text().then((b) => bodies.push(b), () => {});
  });
  await ui.signIn(page, 'olga');
  await page.getByRole('link', { name: 'Call the secretary' }).click();
  await page.getByRole('heading', { level: 1, name: 'Call the secretary' }).waitFor();

  await page.getByRole('button', { name: 'Call' }).click();
  await page.getByTestId('call-state').getByText('In a call.').waitFor();

  // The secretary's answer arrives as text, and its audio is played.
  const answer = page.getByTestId('transcript').locator('li[data-who="secretary"]', { hasText: /Monday to Friday/ });
  await answer.first().waitFor({ timeout: 90_000 });
  t.ok(await page.getByTestId('transcript').locator('li[data-who="caller"]', { hasText: /opening hours/ }).count(), 'the question is in the transcript');
  await until('reply audio played (2 s of frames)', async () => (await count(page, 'frames-played')) >= 100, 90_000);
  t.ok((await count(page, 'frames-sent')) > 100, 'microphone frames were sent');
  // Played first: both counters keep growing during the reply, and received only grows, so a later
  // read of it can only be larger (read the other way round, frames played meanwhile could pass it).
  const played = await count(page, 'frames-played');
  t.ok((await count(page, 'frames-received')) >= played, 'played no more than received');

  // The file loops: the question comes again over a reply, which interrupts it.
  await until('an interruption shown', async () => (await count(page, 'interruptions')) >= 1, 90_000);
  await page.getByTestId('interrupted').first().waitFor();
  await until('the page dropped its queued reply audio', async () => (await count(page, 'playout-clears')) >= 1);
  t.match(await page.getByTestId('interrupted').first().textContent(), /interrupted; heard/, 'what the caller heard of the cut reply is shown');
  await page.getByTestId('turn-metrics').locator('tbody tr td', { hasText: /^\d+$/ }).first().waitFor();
  t.match(await page.getByTestId('turn-metrics').textContent(), /v2v_ms/, 'per-turn latencies shown');
  t.same(
    (await axeViolations(page)).map((v) => v.id),
    [],
    'axe clean during a call',
  );

  await page.getByRole('button', { name: 'Hang up' }).click();
  await page.getByTestId('call-state').getByText(/^Call ended/).waitFor();
  t.equal(await page.getByRole('button', { name: 'Call' }).count(), 1, 'ready to call again');

  // The call is in the call log, with the caller's question among its turns (flushed first: the
  // journal writes to the database in the background).
  await ui.sg.pipelines.callLog!.flush();
  const { items } = (await ui.sg.call('GET', '/admin/calls?limit=5', await ui.sg.userToken('auditor', 'admin'))).body as { items: Array<{ id: string; channel: string }> };
  t.equal(items[0]?.channel, 'ws', 'the softphone call is logged as a WebSocket call');
  const turns = await until('turns stored', async () => {
    const rows = await ui.sg.controlPlane.repos.calls.turns(items[0].id);
    return rows.some((r) => /opening hours/.test(r.user_text ?? '')) ? rows : null;
  });
  t.ok(turns.length >= 2, 'the greeting and the answered question are stored');
  t.notOk(bodies.some((b) => b.includes(ui.sg.token)), 'the gateway-wide voice token never reached the page');
  t.same(pageErrors, [], 'no errors in the page');
});

t.test('a viewer is told calls need the operator role and gets no call button (the token route refusing it: test/gateway/operator-voice-token.test.ts)', async (t) => {
  const ui = await startAdminUi();
  t.teardown(ui.close);
  await ui.user('vera', 'viewer');
  const page = await (await ui.context()).newPage();
  await ui.signIn(page, 'vera');
  await page.goto('/call');
  await page.getByText('Calls from the browser need the operator role.').waitFor();
  t.equal(await page.getByRole('button', { name: 'Call' }).count(), 0);
  t.equal(await page.getByRole('button', { name: 'Hang up' }).count(), 0);
});
