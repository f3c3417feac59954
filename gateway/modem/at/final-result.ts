/**
 * Which lines end a command, and what they mean. Pure.
 *
 * `NO CARRIER`, `BUSY`, `NO ANSWER` and `NO DIALTONE` are final results only for the commands that
 * set up a call (ATD, ATA); at any other time they are unsolicited (the remote party hung up), so
 * the caller says whether call-setup results apply.
 */

export type FinalResult =
  | { kind: 'ok' }
  | { kind: 'error' }
  | { kind: 'cme'; detail: string }
  | { kind: 'cms'; detail: string }
  | { kind: 'call_setup'; result: string };

const CALL_SETUP_RESULTS = new Set(['NO CARRIER', 'BUSY', 'NO ANSWER', 'NO DIALTONE']);

export function parseFinalResult(line: string, callSetup: boolean): FinalResult | null {
  if (line === 'OK') return { kind: 'ok' };
  if (line === 'ERROR') return { kind: 'error' };
  if (line.startsWith('+CME ERROR:')) return { kind: 'cme', detail: line.slice(11).trim() };
  if (line.startsWith('+CMS ERROR:')) return { kind: 'cms', detail: line.slice(11).trim() };
  if (callSetup && CALL_SETUP_RESULTS.has(line)) return { kind: 'call_setup', result: line };
  return null;
}

/** Does this command's final result include the call-setup codes? */
export function isCallSetupCommand(command: string): boolean {
  const c = command.toUpperCase();
  return c === 'ATA' || (c.startsWith('ATD') && !c.startsWith('ATD>'));
}

/**
 * The information-response prefix a command owns (`AT+CLCC` -> `+CLCC:`), so that a line which
 * also exists as a URC (`+CLCC`, `+CPIN`, `+CUSD`) goes to the command's response while it runs
 * and to the URC stream otherwise. Null for basic commands (ATA, ATE0, ...).
 */
export function responsePrefix(command: string): string | null {
  const m = /^AT([+^$][A-Z0-9]+)/i.exec(command);
  return m ? `${m[1].toUpperCase()}:` : null;
}
