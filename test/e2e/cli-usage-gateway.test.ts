/**
 * The gateway's CLIs (`npm run call`, `npm run modem:call`, the modem emulator) answer `--help` and
 * refuse bad arguments as runtime/cli-args.ts promises (test/helpers/cli-usage.ts). Before,
 * `modem:call --help` and the emulator's `--help` ended in parseArgs's uncaught error with a stack,
 * and the emulator took `--ring-interval-ms fast` as NaN.
 */
import t from 'tap';
import { checkCliUsage, type CliUnderTest } from '../helpers/cli-usage.ts';

const CLIS: CliUnderTest[] = [
  { name: 'call', script: 'gateway/ws/reference-client-cli.ts', missingValue: ['--url'], badValue: ['--rate', 'abc'], badMessage: /--rate must be an integer/ },
  { name: 'modem:call', script: 'gateway/modem/modem-call-cli.ts', missingValue: ['--wav'], badValue: ['--wav', 'in.wav', '--tail-ms', 'soon'], badMessage: /--tail-ms must be a number/ },
  { name: 'emulator', script: 'gateway/modem/emulator/cli.ts', missingValue: ['--ring'], badValue: ['--ring-interval-ms', 'fast'], badMessage: /--ring-interval-ms must be an integer/ },
];

for (const cli of CLIS) t.test(`${cli.name}: --help, unknown flag, missing value, bad value`, (t) => checkCliUsage(t, cli));
