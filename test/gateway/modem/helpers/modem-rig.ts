/** The emulator, a ready Modem and a ModemCallManager over real ptys, torn down with the test. */
import type { Test } from 'tap';
import { rms } from '../../../../media/pcm.ts';
import { ModemCallManager, type CallManagerOptions, type ModemCallRecord } from '../../../../gateway/modem/call-manager.ts';
import { Sim7600Emulator, type EmulatorOptions } from '../../../../gateway/modem/emulator/sim7600-emulator.ts';
import { Modem, type ModemOptions } from '../../../../gateway/modem/modem.ts';
import { openSerialLink } from '../../../../gateway/modem/serial-link.ts';
import type { PipelineFactory } from '../../../../pipeline/call-pipeline.ts';
import { logWrites, type WriteLog } from './write-log.ts';

export async function modemRig(
  t: Test,
  factory: PipelineFactory,
  opts: { emulator?: EmulatorOptions; modem?: ModemOptions; manager?: Partial<CallManagerOptions> } = {},
) {
  const emu = new Sim7600Emulator({ ringIntervalMs: 150, maxRings: 10, rebootDelayMs: 300, ...opts.emulator });
  const { atPath, audioPath } = await emu.start();
  const modem = new Modem({ atPath, audioPath, healthIntervalMs: 0, ...opts.modem });
  modem.start();
  await modem.whenReady(10_000);
  /** What the gateway wrote to the audio port, one log per call in order. */
  const audioWrites: WriteLog[] = [];
  const openAudio = async (path: string) => {
    const { link, log } = logWrites(await openSerialLink(path));
    audioWrites.push(log);
    return link;
  };
  const manager = new ModemCallManager(modem, { pipelineFactory: factory, openAudio, ...opts.manager });
  const records: ModemCallRecord[] = [];
  manager.on('record', (r) => records.push(r));
  t.teardown(async () => {
    await manager.hangup();
    await modem.stop();
    await emu.stop();
  });
  return { emu, modem, manager, records, audioWrites };
}

/** How many of these 20 ms frames carry sound (a tone at -12 dBFS, not line silence). */
export const loudFrames = (frames: readonly Int16Array[]) => frames.filter((f) => rms(f) > 1000).length;
