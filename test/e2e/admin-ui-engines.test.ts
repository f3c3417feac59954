/**
 * The TTS, STT, Models, Settings and About views in Chromium against the real gateway (espeak-ng
 * and pocketsphinx from Debian): a setting changed, refused in words, and reset, each seen in the
 * database and after a reload; a TTS preset added, edited and deleted; "say it" playing the
 * streamed reply while it arrives (audio received and played counted by the page, time to first
 * audio shown); the sentence cache emptied; a flite recording transcribed; a model fetched from a
 * loopback stand-in for GitHub releases (a test manifest passed to the gateway as code, as
 * test/control/models-api.test.ts does), its progress bar caught half way, installed, deleted;
 * About; the TTS voice for new calls switched and reset; a viewer offered no edit controls; the
 * views at 360 px.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import { fliteSpeech, withSilence, writeWav16k } from '../../bench/lib/flite-speech.ts';
import { ModelCatalog } from '../../pipeline/engines/model-catalog.ts';
import { until } from '../helpers/until.ts';
import { entryFor, makeArchive, serveArchive } from '../models/archive-server.ts';
import { axeViolations, startAdminUi, type AxeViolation } from './helpers/admin-browser.ts';

t.setTimeout(300_000);

const dir = mkdtempSync(path.join(tmpdir(), 'vg-ui-engines-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const wav = path.join(dir, 'question.wav');
writeWav16k(wav, withSilence(fliteSpeech('What are your opening hours?'), 300, 300));

const describe = (vs: AxeViolation[]) => vs.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
/** Seconds of "say it" audio the page played and received (its own counts). */
async function playedAndReceived(page: Page): Promise<[number, number]> {
  const audio = page.getByTestId('say-audio');
  return [Number(await audio.getAttribute('data-played')), Number(await audio.getAttribute('data-received'))];
}

// The models this gateway offers: a 1 MiB archive served from loopback, and one left unfetched.
const archive = makeArchive('ui-test-model', 1024 * 1024);
const unfetched = makeArchive('ui-unfetched-model', 1024);
const archiveServer = await serveArchive({ [`${archive.name}.tar.bz2`]: archive.bytes });
t.teardown(archiveServer.close);
const modelsDir = path.join(dir, 'models');
const models = new ModelCatalog({
  dir: modelsDir,
  hubDir: null,
  manifest: { models: [entryFor(archive, archiveServer.url(`/files/${archive.name}.tar.bz2`)), entryFor(unfetched, archiveServer.url(`/files/${unfetched.name}.tar.bz2`), { sha256: null })] },
  fetch: { retries: 0, retryDelayMs: 5, timeoutMs: 30_000, proxy: null },
});

// The secretary pipeline: real speech engines, which the engine choice switches (the echo pipeline has none).
const ui = await startAdminUi({ env: { PIPELINE: 'secretary' }, models });
t.teardown(ui.close);
const repos = ui.sg.controlPlane.repos;
await ui.user('ada', 'admin');
await ui.user('otto', 'operator');
await ui.user('vic', 'viewer');
const adminToken = await ui.sg.userToken('script', 'admin');

t.test('settings: edit, refusal in words, reset; persisted across a reload', async (t) => {
  const page = await (await ui.context()).newPage();
  await ui.signIn(page, 'ada');
  await page.goto('/settings');
  const threshold = page.getByTestId('setting-faq-threshold');
  await threshold.getByText('Lowest match score').waitFor();

  await threshold.getByLabel('New value for faq.threshold').fill('0.72');
  await threshold.getByRole('button', { name: 'Save: faq.threshold' }).click();
  await threshold.getByText('Saved.').waitFor();
  t.equal(await repos.config.get('faq.threshold'), 0.72, 'stored as a number');

  // Out of range: the API's refusal beside the setting; nothing stored.
  await threshold.getByLabel('New value for faq.threshold').fill('5');
  await threshold.getByRole('button', { name: 'Save: faq.threshold' }).click();
  const refusal = threshold.getByRole('alert');
  await refusal.waitFor();
  t.match(await refusal.textContent(), /validation_failed/, 'the refusal names its code');
  t.equal(await repos.config.get('faq.threshold'), 0.72, 'the refused value is not stored');

  // A boolean through its checkbox, a text, and JSON that does not parse (our words, nothing sent).
  const recording = page.getByTestId('setting-calls-recording_enabled');
  await recording.getByLabel('calls.recording_enabled: on').check();
  await recording.getByRole('button', { name: 'Save: calls.recording_enabled' }).click();
  await recording.getByText('Saved.').waitFor();
  t.equal(await repos.config.get('calls.recording_enabled'), true);
  const company = page.getByTestId('setting-company-name');
  await company.getByLabel('New value for company.name').fill('Acme Plumbing');
  await company.getByRole('button', { name: 'Save: company.name' }).click();
  await company.getByText('Saved.').waitFor();
  t.equal(await repos.config.get('company.name'), 'Acme Plumbing');
  const backend = page.getByTestId('setting-llm-default_backend');
  if (await backend.count()) {
    await backend.getByLabel(/New value for llm\.default_backend/).fill('{"backend": ');
    await backend.getByRole('button', { name: 'Save: llm.default_backend' }).click();
    await backend.getByRole('alert').getByText(/This is not valid JSON/).waitFor();
  }
  t.same(describe(await axeViolations(page)), [], 'settings with a refusal shown pass axe');

  await page.reload();
  await threshold.getByTestId('setting-value').getByText(/^0\.72/).waitFor();
  t.match(await threshold.getByTestId('setting-value').textContent(), /changed/, 'a reload shows the stored value as changed');
  t.match(await company.getByTestId('setting-value').textContent(), /Acme Plumbing/);

  await threshold.getByRole('button', { name: 'Reset to default: faq.threshold' }).click();
  await threshold.getByText('Back to the default.').waitFor();
  t.equal(await repos.config.get('faq.threshold'), undefined, 'reset removes the stored value');
  await page.reload();
  await threshold.getByTestId('setting-value').getByText(/the default/).waitFor();
  t.equal(await threshold.getByRole('button', { name: 'Reset to default: faq.threshold' }).count(), 0, 'nothing left to reset');
  await page.context().close();
});

t.test('TTS: presets, say it while it streams, the cache emptied', async (t) => {
  const page = await (await ui.context()).newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await ui.signIn(page, 'otto');
  await page.getByRole('link', { name: 'TTS', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'TTS' }).waitFor();
  await page.getByTestId('tts-engines').getByText('espeak-ng').waitFor();
  await page.getByText(/^Showing \d+ of \d+ voices\.$/).waitFor();
  await page.getByLabel('Filter voices (id, name or language)').fill('en-us');
  await page.getByRole('cell', { name: 'en-us', exact: true }).first().waitFor();

  // A preset through its form: refused voice in words first, then stored.
  const form = page.getByRole('form', { name: 'New preset' });
  await form.getByLabel('Name').fill('Clear English');
  await form.getByLabel('Voice').fill('no-such-voice');
  await form.getByRole('button', { name: 'Add' }).click();
  await page.getByRole('alert').getByText(/no-such-voice/).waitFor();
  await form.getByLabel('Voice').fill('en-us');
  await form.getByLabel('Speed').fill('1.2');
  await form.getByRole('button', { name: 'Add' }).click();
  await page.getByRole('cell', { name: 'Clear English', exact: true }).waitFor();
  t.match(await repos.ttsPresets.list(), [{ name: 'Clear English', engine: 'espeak-ng', voice: 'en-us', speed: 1.2 }], 'the preset is stored');

  // Say it with that preset: audio arrives and plays before the whole reply is in.
  const streamed: Array<{ status: number; type: string }> = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname === '/admin/tts/stream') streamed.push({ status: r.status(), type: r.headers()['content-type'] ?? '' });
  });
  const say = page.getByRole('form', { name: 'Say it' });
  await say.getByLabel('Text to speak').fill('Good morning. Thank you for calling Acme Plumbing. We are open from nine to five, Monday to Friday. Leave a message after the tone.');
  await say.getByLabel('Voice').selectOption({ label: 'Clear English' });
  await say.getByRole('button', { name: 'Say it' }).click();
  await page.locator('[data-testid="say-state"][data-state="playing"], [data-testid="say-state"][data-state="done"]').waitFor();
  const ttfa = await page.getByTestId('say-ttfa').textContent();
  t.match(ttfa, /^Time to first audio: [\d,]+ ms$/, 'the time to first audio is shown');
  t.comment(`say it, ${ttfa} (loopback, espeak-ng, loaded machine)`);
  await page.locator('[data-testid="say-state"][data-state="done"]').waitFor({ timeout: 60_000 });
  const ms = async (id: string) => Number((await page.getByTestId(id).textContent())?.replace(/\D/g, ''));
  // No later, not strictly before: both are rounded ms, and a starved renderer can read the whole
  // reply in one chunk. That the route streams (first chunk out while later sentences are still
  // unsynthesised) is proven with a held engine in test/control/tts.test.ts.
  t.ok((await ms('say-ttfa')) <= (await ms('say-received')), 'sound started no later than the whole reply was in');
  const [played, received] = await playedAndReceived(page);
  t.ok(received > 3, `several seconds of audio arrived (${received} s)`);
  t.equal(played, received, 'and all of it was played');
  t.match(streamed, [{ status: 200, type: /^audio\/L16;rate=24000/ }], 'one raw PCM stream at 24 kHz');
  t.same(describe(await axeViolations(page)), [], 'the TTS view after playing passes axe');

  // The sentences are cached now; emptying the cache shows zero.
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByTestId('cache-entries').getByText(/^[1-9]\d*$/).waitFor();
  await page.getByRole('button', { name: 'Empty the cache' }).click();
  await page.getByTestId('cache-entries').getByText(/^0$/).waitFor();
  t.equal((await ui.sg.call('GET', '/admin/tts/cache', adminToken)).body.cache.entries, 0, 'the gateway’s cache is empty');

  // Edit, then delete.
  await page.getByRole('button', { name: 'Edit: Clear English' }).click();
  const edit = page.getByRole('form', { name: 'Edit “Clear English”' });
  await edit.getByLabel('Speed').fill('0.9');
  await edit.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('cell', { name: '0.9', exact: true }).waitFor();
  t.match(await repos.ttsPresets.list(), [{ name: 'Clear English', speed: 0.9 }]);
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Delete: Clear English' }).click();
  await page.getByText('No presets: personas speak with the default voice.').waitFor();
  t.same(await repos.ttsPresets.list(), []);
  t.same(pageErrors, [], 'no errors in the page');
  await page.context().close();
});

t.test('STT: status, and a flite recording transcribed', async (t) => {
  const page = await (await ui.context()).newPage();
  await ui.signIn(page, 'otto');
  await page.goto('/stt');
  await page.getByTestId('stt-status').getByText('pocketsphinx').waitFor();
  await page.getByLabel('Audio file (WAV, MP3, FLAC or Ogg Opus)').setInputFiles(wav);
  await page.getByRole('button', { name: 'Transcribe' }).click();
  const result = page.getByTestId('stt-result');
  await result.waitFor({ timeout: 60_000 });
  t.match(await result.textContent(), /opening hours/i, 'the question is recognised');
  t.match(await result.textContent(), /pocketsphinx, wav/, 'with the engine and the format the gateway found');
  await page.getByTestId('stt-counts').getByText(/^1 done, 0 failed$/).waitFor();
  t.same(describe(await axeViolations(page)), [], 'the STT view with a result passes axe');
  await page.context().close();
});

t.test('models: a fetch shown with its progress bar, installed, then deleted', async (t) => {
  const page = await (await ui.context()).newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await ui.signIn(page, 'ada');
  await page.getByRole('link', { name: 'Models', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Models' }).waitFor();
  const row = page.getByTestId(`model-${archive.name}`);
  await row.getByTestId('model-status').getByText('Not installed', { exact: true }).waitFor();
  t.equal(await page.locator('tbody tr[data-testid^="model-"]').count(), 2, 'every model of the manifest listed');
  t.match(await row.textContent(), /stt-offline.*en/, 'with its kind and languages');
  t.match(await page.getByTestId(`model-${unfetched.name}`).textContent(), /not verified by us/, 'a model without a checksum says so');

  // The server sends half the archive and waits: the bar stands at that half until it is released.
  const half = Math.floor(archive.bytes.length / 2);
  const release = archiveServer.holdNext(half);
  await row.getByRole('button', { name: `Fetch: ${archive.name}` }).click();
  const bar = row.getByRole('progressbar', { name: 'Downloading' });
  await bar.waitFor();
  // The page polls the job every 0.5 s: the bar reaches the half the server sent, and stays there.
  const held = await until(
    'the bar at the held half',
    async () => {
      const value = Number(await bar.getAttribute('value'));
      return value >= half && { value, max: Number(await bar.getAttribute('max')) };
    },
    30_000,
  );
  t.equal(held.max, archive.bytes.length, 'the bar’s end is the archive’s size');
  t.ok(held.value < held.max, `the bar stands part way (${held.value} of ${held.max} bytes)`);
  t.match(await row.getByRole('status').textContent(), /^Downloading 0\.5 MB \/ 1 MB$/, 'and says how much of how much');
  t.equal(await row.getByRole('button').count(), 0, 'no fetch or delete while it runs');
  t.same(describe(await axeViolations(page)), [], 'the Models view with a download under way passes axe');

  release();
  await row.getByTestId('model-status').getByText('Installed', { exact: true }).waitFor();
  t.equal(await bar.count(), 0, 'the bar is gone once installed');
  t.ok(existsSync(path.join(modelsDir, archive.name, 'model.onnx')), 'the model is unpacked into the models directory');
  const listed = (await ui.sg.call('GET', '/admin/models', adminToken)).body as { items: Array<{ name: string; status: string }>; jobs: Array<{ model: string; state: string }> };
  t.match(listed.items.find((m) => m.name === archive.name), { status: 'installed' });
  t.match(listed.jobs, [{ model: archive.name, state: 'done' }]);

  page.once('dialog', (d) => void d.accept());
  await row.getByRole('button', { name: `Delete: ${archive.name}` }).click();
  await row.getByTestId('model-status').getByText('Not installed', { exact: true }).waitFor();
  t.notOk(existsSync(path.join(modelsDir, archive.name)), 'its directory is removed');
  await row.getByRole('button', { name: `Fetch: ${archive.name}` }).waitFor();
  t.same(pageErrors, [], 'no errors in the page');
  await page.context().close();
});

t.test('about: this gateway’s version, commit, runtime, database and engines', async (t) => {
  const page = await (await ui.context()).newPage();
  await ui.signIn(page, 'vic');
  await page.getByRole('link', { name: 'About', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'About' }).waitFor();
  const about = (await ui.sg.call('GET', '/admin/about', adminToken)).body as { commit: string | null; engines: { stt: string; tts: string }; ui_build: { hash: string } };
  const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  await page.getByTestId('about-version').getByText(version, { exact: true }).waitFor();
  const text = await page.getByTestId('about').textContent();
  if (about.commit) t.match(text, about.commit, 'the commit');
  t.match(text, about.ui_build.hash.slice(0, 12), 'the UI build served');
  t.match(text, process.version, 'the Node.js version');
  t.match(text, `${process.platform} (${process.arch})`);
  t.match(text, /SQLite/, 'the database kind');
  t.match(about.engines, { stt: 'pocketsphinx', tts: 'espeak-ng' });
  t.equal(await page.getByTestId('about-engines').textContent(), 'STT pocketsphinx, TTS espeak-ng', 'the engines running now');
  t.same(describe(await axeViolations(page)), [], 'the About view passes axe');
  await page.context().close();
});

t.test('the TTS engine voice switched from the TTS view, as GET /admin/engines reports it', async (t) => {
  const page = await (await ui.context()).newPage();
  await ui.signIn(page, 'ada');
  const tts = async () => (await ui.sg.call('GET', '/admin/engines', adminToken)).body.tts;
  t.match(await tts(), { engine: 'espeak', voice: null, source: 'environment' });
  await page.goto('/tts');
  const engine = page.getByRole('region', { name: 'Engine for new calls' });
  await engine.getByTestId('engine-name').getByText('espeak', { exact: true }).waitFor();
  t.match(await engine.getByTestId('engine-running').textContent(), /^espeak-ng: working/, 'the engine running and its health');
  t.match(await engine.textContent(), /openai: not available \(an OpenAI-compatible server is set through the environment only/, 'an engine the environment alone sets, in the API’s words');
  const form = engine.getByRole('form', { name: 'Choose the engine' });

  // A voice espeak-ng lacks: refused in the API's words, nothing changed.
  await form.getByLabel('Voice').fill('no-such-voice');
  await form.getByRole('button', { name: 'Use for new calls' }).click();
  await engine.getByRole('alert').getByText(/no-such-voice/).waitFor();
  t.match(await engine.getByTestId('engine-source').textContent(), /the environment/, 'a refused choice changes nothing');
  t.match(await tts(), { voice: null, source: 'environment' });

  await form.getByLabel('Voice').fill('en-us+f3');
  await form.getByRole('button', { name: 'Use for new calls' }).click();
  await engine.getByText(/^New calls now use espeak/).waitFor();
  await engine.getByTestId('engine-source').getByText('an admin, here').waitFor();
  t.match(await tts(), { engine: 'espeak', voice: 'en-us+f3', source: 'admin', runtime: 'espeak-ng' }, 'the gateway reports the new voice');
  await page.reload();
  await engine.getByTestId('engine-source').getByText('an admin, here').waitFor();
  t.equal(await form.getByLabel('Voice').inputValue(), 'en-us+f3', 'the form shows the stored voice after a reload');

  await form.getByRole('button', { name: 'Back to the environment’s choice' }).click();
  await engine.getByTestId('engine-source').getByText('the environment, at start').waitFor();
  t.match(await tts(), { engine: 'espeak', voice: null, source: 'environment' }, 'and forgets it when reset');
  await page.context().close();
});

t.test('a viewer reads every view and is offered nothing to change', async (t) => {
  const page = await (await ui.context()).newPage();
  await ui.signIn(page, 'vic');
  const edits = /^(Say it|Stop|Add|Save|Edit|Delete|Empty the cache|Transcribe|Fetch|Use for new calls|Reset to default|Back to the environment)/;

  await page.goto('/tts');
  await page.getByText(/^Showing \d+ of \d+ voices\.$/).waitFor();
  await page.getByText('Read-only: your role cannot change this.').waitFor();
  t.equal(await page.getByRole('button', { name: edits }).count(), 0, 'TTS: no controls');
  t.equal(await page.getByRole('form').count(), 0, 'TTS: no forms');

  await page.goto('/stt');
  await page.getByTestId('stt-status').waitFor();
  t.equal(await page.getByRole('button', { name: edits }).count(), 0, 'STT: no transcribe');
  t.equal(await page.locator('input[type="file"]').count(), 0);

  await page.goto('/settings');
  await page.getByTestId('setting-faq-threshold').getByText('Lowest match score').waitFor();
  await page.getByText('Changing settings needs the admin role.').waitFor();
  t.equal(await page.getByRole('button', { name: edits }).count(), 0, 'settings: no save or reset');
  t.equal(await page.locator('main input, main textarea').count(), 0, 'settings: no inputs');

  await page.goto('/models');
  await page.getByRole('heading', { level: 1, name: 'Models' }).waitFor();
  await page.getByTestId(`model-${archive.name}`).waitFor();
  await page.getByText('Fetching and deleting models needs the admin role.').waitFor();
  t.equal(await page.getByRole('button', { name: edits }).count(), 0, 'models: no fetch or delete');

  await page.goto('/stt');
  await page.getByTestId('engine-now-stt').getByText('pocketsphinx').first().waitFor();
  await page.getByText('Choosing the engine needs the admin role.').waitFor();
  t.equal(await page.getByRole('form', { name: 'Choose the engine' }).count(), 0, 'engine choice: no form');

  // The API refuses a viewer's write anyway.
  const refused = await page.evaluate(async () => {
    const r = await fetch('/admin/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const { access_token } = (await r.json()) as { access_token: string };
    const put = await fetch('/admin/config/faq.threshold', { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${access_token}` }, body: JSON.stringify({ value: 0.5 }) });
    return put.status;
  });
  t.equal(refused, 403);
  await page.context().close();
});

t.test('360 px: the views fit', async (t) => {
  const page = await (await ui.context({ width: 360, height: 740 })).newPage();
  await ui.signIn(page, 'ada');
  for (const p of ['/tts', '/stt', '/models', '/settings', '/about']) {
    await page.goto(p);
    await page.locator('main h1').waitFor();
    await page.locator('main h2, main dl, main table').first().waitFor();
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    t.ok(width <= 360, `${p}: page width ${width} px fits 360 px`);
  }
  await page.context().close();
});
