/**
 * The modem audio port over a real pty pair: reads that end mid-sample never shift the samples,
 * and writes never run more than 2 frames (40 ms) ahead of real time. (How steadily a writer gets
 * its 50 frames a second on a busy machine is a figure for bench/modem.ts: audio_port.)
 */
import t, { type Test } from 'tap';
import { ModemAudioPort } from '../../../gateway/modem/audio-port.ts';
import { createPtyPair } from '../../../gateway/modem/emulator/pty-pair.ts';
import { openSerialLink } from '../../../gateway/modem/serial-link.ts';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { until } from '../../helpers/until.ts';
import { leadBound, logWrites, maxLeadFrames, writeAsAllowedFor } from './helpers/write-log.ts';

async function pair(t: Test) {
  const dir = mkdtempSync(path.join(tmpdir(), 'audio-port-'));
  const p = await createPtyPair(path.join(dir, 'host'), path.join(dir, 'dev'));
  const host = await openSerialLink(p.hostPath);
  const dev = await openSerialLink(p.devicePath);
  t.teardown(async () => {
    await host.close();
    await dev.close();
    await p.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  return { p, host, dev };
}

t.test('odd-sized reads: the odd byte waits for the next read, samples come out exact', async (t) => {
  const { host, dev } = await pair(t);
  const port = new ModemAudioPort(host, { sampleRate: 8000 });
  const got: Int16Array[] = [];
  port.onAudio((pcm) => got.push(pcm));
  // A ramp with distinct high and low bytes, so a one-byte shift would garble every sample.
  const ramp = Int16Array.from({ length: 1600 }, (_, i) => (i * 37 - 20000) | 0);
  const bytes = Buffer.from(ramp.buffer);
  const sizes = [1, 3, 157, 2, 319, 5, 641, 1];
  let off = 0;
  for (let i = 0; off < bytes.length; i++) {
    const n = Math.min(sizes[i % sizes.length], bytes.length - off);
    dev.write(bytes.subarray(off, off + n));
    off += n;
    // One piece per read on the other side: the next is written once this one has been read.
    await until(`byte ${off} to be read`, () => port.bytesIn === off);
  }
  const want = ramp.length;
  const all = new Int16Array(want);
  let at = 0;
  for (const c of got) all.set(c.subarray(0, want - at), at), (at += c.length);
  t.equal(at, want, 'every sample arrived');
  t.same(Array.from(all), Array.from(ramp), 'no sample shifted by a byte');
  t.ok(port.oddReads > 0, `reads ended mid-sample ${port.oddReads} times`);
});

t.test('writes are paced: at most 2 frames ahead of a (virtual) playout clock, frames in flight included', async (t) => {
  const { host } = await pair(t);
  const { link, log } = logWrites(host);
  let now = 1000;
  const port = new ModemAudioPort(link, { sampleRate: 8000, now: () => now });
  const frame = new Int16Array(160);
  // Real time for the writes to reach the pty; the playout clock stands still meanwhile.
  const landed = () => until('the writes to reach the pty', () => log.inFlight === 0);
  t.ok(port.writeFrame(frame) && port.writeFrame(frame), 'two frames fit');
  t.notOk(port.writeFrame(frame), 'a third is refused while the first two are still in flight');
  t.equal(port.aheadMs(), 40, 'frames in flight count as queued');
  await landed();
  t.equal(port.aheadMs(), 40, 'once written they play from the moment they landed');
  t.notOk(port.canWrite());
  now += 20;
  t.ok(port.writeFrame(frame), 'one more after 20 ms has played');
  t.notOk(port.canWrite());
  await landed();
  now += 1000; // a long gap (pipeline silent): the queue drained, no credit accumulates
  t.ok(port.writeFrame(frame) && port.writeFrame(frame));
  t.notOk(port.writeFrame(frame), 'still only 2 ahead after idling');
  t.equal(port.refusedFrames, 2);
  t.throws(() => port.writeFrame(new Int16Array(100)), RangeError, 'only whole 20 ms frames');
});

t.test('a write held up on its way to the modem (busy thread pool) does not let a burst through', async (t) => {
  let now = 0;
  const pending: (() => void)[] = [];
  const link = {
    path: 'mem',
    isOpen: true,
    write: (_d: Uint8Array | string, done?: () => void) => void pending.push(() => done?.()),
    onData: () => {},
    onClose: () => {},
    close: async () => {},
  };
  const port = new ModemAudioPort(link, { sampleRate: 8000, now: () => now });
  const frame = new Int16Array(160);
  t.ok(port.writeFrame(frame) && port.writeFrame(frame));
  now += 100; // 100 ms pass with both writes stuck: the modem has had nothing to play
  t.notOk(port.canWrite(), 'nothing more is written while two frames are still on their way');
  for (const f of pending.splice(0)) f();
  t.equal(port.aheadMs(), 40, 'they play from when they landed, not from when write() was called');
  now += 20;
  t.ok(port.writeFrame(frame), 'room for one again after 20 ms');
  t.notOk(port.canWrite());
});

t.test('real time: writing as fast as allowed for 1 s never runs more than 2 frames ahead of the clock, and all of it arrives', async (t) => {
  const { host, dev } = await pair(t);
  let received = 0;
  dev.onData((d) => (received += d.length));
  const { link, log } = logWrites(host);
  const port = new ModemAudioPort(link, { sampleRate: 8000 });
  await writeAsAllowedFor(port, 1000);
  const frames = port.framesOut;
  t.ok(frames > 2, `${frames} frames written`);
  const lead = maxLeadFrames(log, 320);
  t.ok(lead <= leadBound(), `at most ${lead.toFixed(2)} frames ahead of real time since the first`);
  t.comment(`${frames} frames in 1 s (50 plus the lead on an idle machine; the bench reports it)`);
  await until('every byte at the far end', () => received === frames * 320);
  t.pass('s16le, 320 bytes per 8 kHz frame, all delivered');
});

t.test('the pty watchdog: socat goes when its owner dies without cleaning up', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pty-orphan-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { spawn } = await import('node:child_process');
  const script = `import { createPtyPair } from ${JSON.stringify(path.resolve('gateway/modem/emulator/pty-pair.ts'))};
    await createPtyPair(${JSON.stringify(path.join(dir, 'a'))}, ${JSON.stringify(path.join(dir, 'b'))});
    console.log('up'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('up') && resolve());
    child.once('exit', (c) => reject(new Error(`child exited ${c}`)));
  });
  t.ok(existsSync(path.join(dir, 'a')), 'the pty link exists while its owner lives');
  child.kill('SIGKILL');
  const socatAlive = async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => '');
      if (cmd.startsWith('socat') && cmd.includes(dir)) return true;
    }
    return false;
  };
  await until('socat to go', async () => !(await socatAlive()));
  t.pass('no socat left behind');
});
