/** The emulator, a ready Modem and a ModemCallManager over real ptys, torn down with the test. */
import type { Test } from 'tap';
import { ModemCallManager, type CallManagerOptions, type ModemCallRecord } from '../../../../gateway/modem/call-manager.ts';
import { Sim7600Emulator, type EmulatorOptions } from '../../../../gateway/modem/emulator/sim7600-emulator.ts';
import { Modem, type ModemOptions } from '../../../../gateway/modem/modem.ts';
import type { PipelineFactory } from '../../../../pipeline/call-pipeline.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export async function modemRig(
  t: Test,
  factory: PipelineFactory,
  opts: { emulator?: EmulatorOptions; modem?: ModemOptions; manager?: Partial<CallManagerOptions> } = {},
) {
  const emu = new Sim7600Emulator({ ringIntervalMs: 150, maxRings: 10, rebootDelayMs: 300, ...opts.emulator });
  const { atPath, audioPath } = await emu.start();
  const modem = new Modem({ atPath, audioPath, healthIntervalMs: 0, ...opts.modem });
  modem.start();
  await modem.whenReady(5000);
  const manager = new ModemCallManager(modem, { pipelineFactory: factory, audioSilentMs: 500, ...opts.manager });
  const records: ModemCallRecord[] = [];
  manager.on('record', (r) => records.push(r));
  t.teardown(async () => {
    await manager.hangup();
    await modem.stop();
    await emu.stop();
  });
  return { emu, modem, manager, records };
}
