/**
 * Recording files reach the `recordings` table through the call log and its journal: after the
 * call's row (foreign key) even when announced at once, with size and sha256 of the file as
 * written, once only however often the journal replays it. A recording that could not be written
 * or registered is noted on the call (`recording_error`) and logged with the call's id; nothing is
 * thrown at the transport tearing the call down.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import t from 'tap';
import { createControlPlane } from '../../control/control-plane.ts';
import { CallLog } from '../../gateway/call-log.ts';
import { encodeWav } from '../../media/wav.ts';
import { createEchoPipeline } from '../../pipeline/echo-pipeline.ts';
import { TEST_ENV } from '../control/helpers/control.ts';
import { testDatabase } from '../control/helpers/database.ts';

t.test('a call recording is registered after its call row; failures are noted on the call and logged, not thrown', async (t) => {
  const tdb = await testDatabase();
  const logged: Array<{ msg: string; callId?: string; key?: string }> = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  const cp = await createControlPlane({ dataDir: tdb.dataDir, databaseUrl: tdb.databaseUrl, pgSchema: tdb.pgSchema, log, env: TEST_ENV });
  t.teardown(async () => {
    await cp.close();
    await tdb.cleanup();
  });
  logged.length = 0; // start-up warnings (the tests' cheap password hashing) are not this test's
  const callLog = new CallLog(cp.callJournal, log);
  const store = cp.recordings;

  mkdirSync(store.dir, { recursive: true });
  const wav = encodeWav(new Int16Array(8000).fill(1000), 8000);
  const file = path.join(store.dir, 'c1.caller.wav');
  writeFileSync(file, wav);

  // Announced the moment the call starts: its row is still on its way, the recording comes after it.
  const pipeline = callLog.wrap(createEchoPipeline)({ callId: 'c1', channel: 'modem', callerNumber: '+15550100' });
  await callLog.recording('c1', [{ path: file, format: 'wav', durationMs: 1000 }]);
  await pipeline.close('remote_hangup');
  t.ok(await callLog.flush(10_000));
  t.same(logged, [], 'nothing failed');
  t.match(await cp.repos.calls.recordings('c1'), [
    { call_id: 'c1', path: 'recordings/c1.caller.wav', format: 'wav', duration_ms: 1000, size_bytes: wav.byteLength, sha256: createHash('sha256').update(wav).digest('hex') },
  ]);
  // Registered again (a replay): still one row.
  await callLog.recording('c1', [{ path: file, format: 'wav', durationMs: 1000 }]);
  t.ok(await callLog.flush(10_000));
  t.equal((await cp.repos.calls.recordings('c1')).length, 1, 'registering twice keeps one row');

  // A side the transport could not write (disk full): the reason on the call.
  await callLog.recording('c1', [], 'reply side: ENOSPC: no space left on device, write');
  // A file outside the recordings directory: logged with the call, noted on it, not registered.
  await t.resolves(callLog.recording('c1', [{ path: path.join(tdb.dataDir, 'elsewhere.wav'), format: 'wav', durationMs: 1 }]));
  // No call row (foreign key): the database refuses it; the journal sets it aside and says which.
  await t.resolves(callLog.recording('no-such-call', [{ path: file, format: 'wav', durationMs: 1000 }]));
  t.ok(await callLog.flush(10_000));
  t.match(logged.map((l) => [l.msg, l.callId ?? l.key]), [
    ['recordings: registering the recording failed', 'c1'],
    [/refused an entry/, /^call:no-such-call:recording:/],
  ]);
  t.equal((await cp.repos.calls.recordings('c1')).length, 1);
  const noted = (await cp.repos.calls.get('c1'))?.recording_error;
  t.match(noted, /^reply side: ENOSPC: no space left on device, write; registering the recording failed \(error id [0-9a-f]{10}\)$/, 'both reasons, in order');
  t.notMatch(noted, /elsewhere|\/|outside/, 'viewers read it: no path and no error text, only our words and an error id');
  t.match(logged[0], { file: /elsewhere\.wav$/, error_id: noted!.slice(-11, -1) }, 'the details are in the log under that id');
  t.match(cp.journal.stats(), { rejected: 1, pending: 0 });
});

t.test('a recording error from the transport is kept on the call', async (t) => {
  const tdb = await testDatabase();
  const log = pino({ level: 'silent' });
  const cp = await createControlPlane({ dataDir: tdb.dataDir, databaseUrl: tdb.databaseUrl, pgSchema: tdb.pgSchema, log, env: TEST_ENV });
  t.teardown(async () => {
    await cp.close();
    await tdb.cleanup();
  });
  const callLog = new CallLog(cp.callJournal, log);
  const pipeline = callLog.wrap(createEchoPipeline)({ callId: 'c2', channel: 'modem' });
  await pipeline.close('remote_hangup');
  await callLog.recording('c2', [], 'caller side: ENOSPC: no space left on device, write; reply side: ENOSPC: no space left on device, write');
  t.ok(await callLog.flush(10_000));
  t.match(await cp.repos.calls.get('c2'), { status: 'completed', recording_error: /caller side: ENOSPC.*reply side: ENOSPC/ });
  t.same(await cp.repos.calls.recordings('c2'), []);
});
