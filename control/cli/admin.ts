/**
 * Admin accounts from the command line, the first admin included (there is no default password):
 *
 *   node --import tsx control/cli/admin.ts create <username> [--role admin|operator|viewer] [--password-stdin]
 *   node --import tsx control/cli/admin.ts set-password <username> [--password-stdin]
 *   node --import tsx control/cli/admin.ts list
 *
 * The password is read from stdin with --password-stdin (for scripts: `printf %s "$PW" | ...`) or
 * prompted twice without echo. Uses DATA_DIR (default ./data) or DATABASE_URL like the gateway.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { hashPassword, DEFAULT_PARAMS, MIN_PASSWORD_LENGTH } from '../auth/password.ts';
import { loadControlConfig } from '../config.ts';
import { openDatabase } from '../db/connection.ts';
import { LoginThrottlesRepo } from '../repositories/login-throttles.ts';
import { RefreshTokensRepo } from '../repositories/refresh-tokens.ts';
import { ROLES, UsersRepo, type Role } from '../repositories/users.ts';
import { readPassword } from './read-password.ts';

const USAGE = `usage: admin.ts create <username> [--role admin|operator|viewer] [--password-stdin]
       admin.ts set-password <username> [--password-stdin]
       admin.ts list`;

export async function runAdminCli(argv: string[], env: NodeJS.ProcessEnv, io: { stdin: NodeJS.ReadableStream; out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { role: { type: 'string', default: 'admin' }, 'password-stdin': { type: 'boolean', default: false } } });
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [command, username] = parsed.positionals;
  const role = parsed.values.role as Role;
  if (!command || (command !== 'list' && !username) || !ROLES.includes(role)) {
    io.err(USAGE + '\n');
    return 2;
  }
  const config = loadControlConfig(env);
  const db = await openDatabase({ dataDir: path.resolve(env.DATA_DIR ?? 'data'), databaseUrl: config.databaseUrl });
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
    if (command !== 'create' && command !== 'set-password') {
      io.err(USAGE + '\n');
      return 2;
    }
    if (!/^[A-Za-z0-9._@-]{3,64}$/.test(username)) {
      io.err('username: use 3-64 letters, digits, dot, dash, underscore or @\n');
      return 1;
    }
    const password = await readPassword(io.stdin, parsed.values['password-stdin'], io.err);
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
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  runAdminCli(process.argv.slice(2), process.env, { stdin: process.stdin, out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) })
    .then((code) => process.exit(code))
    .catch((err) => {
      process.stderr.write(`admin: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
