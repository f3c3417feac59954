/**
 * Admin accounts from the command line, the first admin included (there is no default password):
 *
 *   node --import tsx control/cli/admin.ts create <username> [--role admin|operator|viewer] [--password-stdin]
 *   node --import tsx control/cli/admin.ts set-password <username> [--password-stdin]
 *   node --import tsx control/cli/admin.ts list
 *
 * The password is read from stdin with --password-stdin (for scripts: `printf %s "$PW" | ...`) or
 * prompted twice without echo. Uses DATA_DIR (default ./data) or DATABASE_URL like the gateway.
 * Arguments are parsed by runtime/cli-args.ts: --help, and usage errors with exit 2.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { choiceArg, EXIT_FAILED, EXIT_USAGE, runCommand, UsageError } from '../../runtime/cli-args.ts';
import { hashPassword, DEFAULT_PARAMS, MIN_PASSWORD_LENGTH } from '../auth/password.ts';
import { ControlConfigError, loadControlConfig } from '../config.ts';
import { DatabaseUnavailableError } from '../db/connect-errors.ts';
import { openDatabase } from '../db/connection.ts';
import { LoginThrottlesRepo } from '../repositories/login-throttles.ts';
import { RefreshTokensRepo } from '../repositories/refresh-tokens.ts';
import { ROLES, UsersRepo } from '../repositories/users.ts';
import { readPassword } from './read-password.ts';

const USAGE = `usage: admin.ts create <username> [--role admin|operator|viewer] [--password-stdin]
       admin.ts set-password <username> [--password-stdin]
       admin.ts list
exit codes: 0 done, 1 failed, 2 bad arguments or configuration (environment, database)`;

const COMMANDS = ['create', 'set-password', 'list'] as const;

const SPEC = {
  name: 'admin',
  usage: USAGE,
  allowPositionals: true,
  options: { role: { type: 'string', default: 'admin' }, 'password-stdin': { type: 'boolean', default: false } },
} as const;

export async function runAdminCli(argv: string[], env: NodeJS.ProcessEnv, io: { stdin: NodeJS.ReadableStream; out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  return runCommand(SPEC, argv, { stdout: { write: io.out }, stderr: { write: io.err } }, async ({ values, positionals }) => {
    const [given, username, ...extra] = positionals;
    if (!given) throw new UsageError('a command is required');
    const command = choiceArg(given, 'command', COMMANDS)!;
    const unexpected = command === 'list' ? username : extra[0];
    if (unexpected !== undefined) throw new UsageError(`unexpected argument "${unexpected}"`);
    if (command !== 'list' && !username) throw new UsageError(`${command} needs a username`);
    if (command !== 'list' && !/^[A-Za-z0-9._@-]{3,64}$/.test(username)) throw new UsageError('username: use 3-64 letters, digits, dot, dash, underscore or @');
    const role = choiceArg(values.role, 'role', ROLES)!;

    let config;
    let db;
    try {
      config = loadControlConfig(env);
      db = await openDatabase({ dataDir: path.resolve(env.DATA_DIR ?? 'data'), databaseUrl: config.databaseUrl });
    } catch (err) {
      // The environment, not the command line, is wrong (exit 2), or the database is not reachable
      // (exit 1, try again): one line saying what, like the gateway.
      if (!(err instanceof ControlConfigError || err instanceof DatabaseUnavailableError)) throw err;
      io.err(`admin: ${err.message}\n`);
      return err instanceof DatabaseUnavailableError && err.temporary ? EXIT_FAILED : EXIT_USAGE;
    }
    try {
      const users = new UsersRepo(db);
      if (command === 'list') {
        for (const u of await users.list()) io.out(`${u.id}\t${u.username}\t${u.role}${u.disabled ? '\tdisabled' : ''}\n`);
        return 0;
      }
      const existing = await users.findByUsername(username);
      if (command === 'create' && existing) {
        io.err(`user "${username}" already exists (use set-password)\n`);
        return 1;
      }
      if (command === 'set-password' && !existing) {
        io.err(`no user "${username}"\n`);
        return 1;
      }
      const password = await readPassword(io.stdin, values['password-stdin']!, io.err);
      if (password.length < MIN_PASSWORD_LENGTH) {
        io.err(`password must be at least ${MIN_PASSWORD_LENGTH} characters\n`);
        return 1;
      }
      const hash = await hashPassword(password, { ...DEFAULT_PARAMS, ln: config.passwordHashLn });
      if (command === 'create') {
        const u = await users.create({ username, role, password_hash: hash });
        io.out(`created ${u.role} "${u.username}" (id ${u.id})\n`);
      } else {
        await users.update(existing!.id, { password_hash: hash });
        await new LoginThrottlesRepo(db).clearAll(existing!.id); // its owner may have been held back by wrong guesses
        await new RefreshTokensRepo(db).revokeAllForUser(existing!.id, 'password_reset');
        io.out(`password changed for "${username}"; their sessions were ended\n`);
      }
      return 0;
    } finally {
      await db.destroy();
    }
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  runAdminCli(process.argv.slice(2), process.env, { stdin: process.stdin, out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) })
    .then((code) => process.exit(code));
}
