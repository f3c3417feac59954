/**
 * The tools' CLIs (`npm run bench`, `npm run admin`, `npm run models`) answer `--help` and refuse
 * bad arguments as runtime/cli-args.ts promises (test/helpers/cli-usage.ts). Before, `bench --help`
 * ended in a stack trace, `bench voice --turns abc` ran with NaN turns, and `admin --help` was a
 * usage error.
 */
import t from 'tap';
import { checkCliUsage, type CliUnderTest } from '../helpers/cli-usage.ts';

const CLIS: CliUnderTest[] = [
  { name: 'bench', script: 'bench/run.ts', missingValue: ['voice', '--turns'], badValue: ['voice', '--turns', 'abc'], badMessage: /--turns must be an integer/ },
  { name: 'admin', script: 'control/cli/admin.ts', missingValue: ['create', 'alice', '--role'], badValue: ['create', 'alice', '--role', 'root'], badMessage: /--role must be one of admin, operator, viewer/ },
  { name: 'models', script: 'models/cli.ts', missingValue: ['list', '--dir'], badValue: ['frobnicate'], badMessage: /unknown command 'frobnicate'/ },
];

for (const cli of CLIS) t.test(`${cli.name}: --help, unknown flag, missing value, bad value`, (t) => checkCliUsage(t, cli));
