/**
 * Why the database named by DATABASE_URL cannot be used, in one line an operator can act on. At
 * start-up this is a configuration problem (wrong host, port, password or database name), not a
 * crash, so it must not arrive as a driver's stack trace; and the line never holds the password.
 */

/** The configured database refused us or could not be reached. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  /**
   * @param temporary the server could not be reached (refused, no answer, no route, DNS not
   *   answering): it may come up later, so a supervisor should retry; not for a wrong password,
   *   role or database name, which only the operator can fix.
   */
  constructor(
    message: string,
    readonly temporary: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Network failures that say the server is not there yet rather than that the settings are wrong. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET', '57P03']);

/** The URL without its password (and without a query string, which can carry one too). */
export function redactedDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

/** A driver or network error from connecting, as a DatabaseUnavailableError saying what went wrong where. */
export function connectFailure(err: unknown, url: string): DatabaseUnavailableError {
  const e = err as { code?: string; message?: string };
  const where = redactedDatabaseUrl(url);
  let target = where;
  let user = '';
  let database = '';
  try {
    const u = new URL(url);
    target = u.host || 'the local socket';
    user = decodeURIComponent(u.username);
    database = decodeURIComponent(u.pathname.slice(1));
  } catch {
    // the schema check in control/config.ts refuses unparseable URLs before we get here
  }
  const firstLine = String(e.message ?? err).split('\n')[0];
  let why: string;
  switch (e.code) {
    case 'ECONNREFUSED':
      why = `nothing is listening at ${target} (connection refused)`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      why = `the host of ${target} is not known (DNS lookup failed)`;
      break;
    case 'ETIMEDOUT':
      why = `no answer from ${target} (timed out)`;
      break;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      why = `${target} is unreachable from here (no route)`;
      break;
    case '28P01':
      why = `password authentication failed for user "${user}"`;
      break;
    case '28000':
      why = `the server refused user "${user}" (no such role, or pg_hba.conf does not allow this connection)`;
      break;
    case '3D000':
      why = `database "${database}" does not exist`;
      break;
    default:
      why = /timeout/i.test(firstLine) ? `no answer from ${target} (timed out)` : firstLine;
  }
  const temporary = (e.code !== undefined && UNREACHABLE.has(e.code)) || (e.code === undefined && /timeout/i.test(firstLine));
  return new DatabaseUnavailableError(`cannot use the database at ${where}: ${why}`, temporary, { cause: err });
}
