/**
 * A recorded modem call whose recordings directory is full (a real tmpfs filled to the last byte):
 * the call itself is unaffected, no 0-byte or half-written WAV is left behind, and the failure is
 * announced with its reason and reported with the call's id (the gateway keeps it on the call).
 */
import { readdirSync } from 'node:fs';
import t from 'tap';
import { CallRecordingError, type ModemRecording } from '../../../gateway/modem/call-manager.ts';
import { createEchoPipeline } from '../../../pipeline/echo-pipeline.ts';
import { mountSmallTmpfs } from '../../helpers/small-tmpfs.ts';
import { until } from '../../helpers/until.ts';
import { modemRig } from './helpers/modem-rig.ts';

const tone = (ms: number) => Int16Array.from({ length: (8000 * ms) / 1000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));

const disk = await mountSmallTmpfs(1);
if (disk) t.teardown(() => disk.unmount());

t.test('a full disk: no recording file at all, the reason announced, the call id in the report', { skip: disk ? false : 'needs to mount a tmpfs (root, as in CI) to fill a real disk' }, async (t) => {
  if (!disk) return;
  const { emu, manager, records } = await modemRig(t, createEchoPipeline, { manager: { recordDir: disk.dir } });
  const announced: ModemRecording[] = [];
  manager.on('recording', (r) => announced.push(r));
  const errors: Error[] = [];
  manager.on('error', (err) => errors.push(err));
  /** A call in which the caller talks for a while, then hangs up. */
  const recordedCall = async () => {
    const n = records.length;
    emu.ring('+79161234567');
    await until('answer', () => manager.active !== null);
    emu.playCallerAudio(tone(600));
    await until('caller audio on the line', () => (emu.audio.current?.uplink.length ?? 0) >= 25);
    emu.remoteHangup();
    await until('the call record', () => records.length === n + 1);
  };
  await disk.fill();

  await recordedCall();
  t.equal(records[0].reason, 'remote_hangup', 'the call ended as usual');
  t.same(readdirSync(disk.dir), ['.filler'], 'no WAV and no temporary file left behind');
  t.equal(announced.length, 1, 'announced anyway, so the failure reaches the call log');
  t.same(announced[0].files, []);
  t.equal(announced[0].error, 'caller side: ENOSPC, not written; reply side: ENOSPC, not written', 'the code only: viewers read it, and the error text names the path');
  t.ok(errors.length > 0 && errors.every((e) => e instanceof CallRecordingError && e.callId === records[0].callId), 'reported with the call id');

  // Space back: the next call is recorded whole.
  await disk.free();
  await recordedCall();
  await until('its recording announced', () => announced.length === 2);
  t.same(announced[1].error, undefined);
  t.same(readdirSync(disk.dir).sort(), [`${records[1].callId}.caller.wav`, `${records[1].callId}.reply.wav`]);
});
