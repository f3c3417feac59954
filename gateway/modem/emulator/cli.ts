/**
 * Run the SIM7600E-H emulator on its own:
 *
 *   node --import tsx gateway/modem/emulator/cli.ts [--ring +79161234567] [--wav caller.wav]
 *       [--ring-interval-ms 3000] [--reboot-delay-ms 8000] [--cvhu 0|1] [--dir /tmp/sim]
 *
 * Prints one JSON line with the two device paths ({"at": ..., "audio": ...}), then serves until
 * SIGINT/SIGTERM. Open the AT path with any terminal (e.g. `socat - $AT,raw,echo=0,crlf`) to talk to it.
 * Exit codes: 0 stopped by a signal, 1 failed to start, 2 bad arguments (runtime/cli-args.ts).
 */
import { choiceArg, numberArg, runMain, UsageError } from '../../../runtime/cli-args.ts';
import { readWavFile } from '../../../media/wav.ts';
import { createResampler } from '../../../media/resampler.ts';
import { Sim7600Emulator } from './sim7600-emulator.ts';

const USAGE = `usage: node --import tsx gateway/modem/emulator/cli.ts [--ring NUMBER] [--wav caller.wav]
       [--ring-interval-ms 3000] [--reboot-delay-ms 8000] [--cvhu 0|1] [--dir DIR]`;

runMain(
  {
    name: 'emulator',
    usage: USAGE,
    options: {
      ring: { type: 'string' },
      wav: { type: 'string' },
      dir: { type: 'string' },
      'ring-interval-ms': { type: 'string' },
      'reboot-delay-ms': { type: 'string' },
      cvhu: { type: 'string' },
    },
  },
  async ({ values }) => {
    const cvhu = choiceArg(values.cvhu, 'cvhu', ['0', '1'] as const);
    const emulator = new Sim7600Emulator({
      dir: values.dir,
      ringIntervalMs: numberArg(values['ring-interval-ms'], 'ring-interval-ms', { integer: true, min: 10, max: 600_000 }),
      rebootDelayMs: numberArg(values['reboot-delay-ms'], 'reboot-delay-ms', { integer: true, min: 0, max: 600_000 }),
      cvhuDefault: cvhu === undefined ? undefined : cvhu === '1' ? 1 : 0,
    });
    const caller = values.wav
      ? await readWavFile(values.wav).catch((err: Error) => {
          throw new UsageError(`cannot read ${values.wav}: ${err.message}`);
        })
      : null;
    const paths = await emulator.start();
    process.stdout.write(JSON.stringify({ at: paths.atPath, audio: paths.audioPath }) + '\n');

    if (caller) emulator.playCallerAudio(caller.sampleRate === 8000 ? caller.samples : createResampler(caller.sampleRate, 8000).process(caller.samples));
    if (values.ring) emulator.ring(values.ring);

    emulator.on('command', (c) => process.stderr.write(`<< ${c}\n`));
    emulator.on('hangup', (h) => process.stderr.write(`call ended: ${JSON.stringify(h)}\n`));

    const shutdown = async () => {
      await emulator.stop();
      process.exit(0);
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  },
);
