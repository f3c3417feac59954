/**
 * Typed failures of an AT command, so callers branch on `instanceof` (or `code`) rather than on
 * strings. Every one carries the command that failed and the lines it got before failing.
 */

export class AtError extends Error {
  override name = 'AtError';
  constructor(
    message: string,
    readonly command: string,
    readonly lines: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Plain `ERROR` (CMEE=0, or a syntax error the modem does not explain). */
export class AtCommandError extends AtError {
  override name = 'AtCommandError';
}

/** `+CME ERROR: <text or number>`: equipment errors (SIM, network, operation not allowed, ...). */
export class CmeError extends AtError {
  override name = 'CmeError';
  constructor(
    readonly detail: string,
    command: string,
    lines: readonly string[] = [],
  ) {
    super(`+CME ERROR: ${detail}`, command, lines);
  }
  /** The numeric code when the modem sent one (CMEE=1), else null. */
  get code(): number | null {
    return /^\d+$/.test(this.detail) ? Number(this.detail) : null;
  }
}

/** `+CMS ERROR: <n>`: message-service errors (SMS). */
export class CmsError extends AtError {
  override name = 'CmsError';
  constructor(
    readonly detail: string,
    command: string,
    lines: readonly string[] = [],
  ) {
    super(`+CMS ERROR: ${detail}`, command, lines);
  }
  get code(): number | null {
    return /^\d+$/.test(this.detail) ? Number(this.detail) : null;
  }
}

/** A call-setup failure given as the final result of ATD/ATA: NO CARRIER, BUSY, NO ANSWER, NO DIALTONE. */
export class CallSetupError extends AtError {
  override name = 'CallSetupError';
  constructor(
    readonly result: string,
    command: string,
    lines: readonly string[] = [],
  ) {
    super(result, command, lines);
  }
}

/** No final result within the command's timeout; the queue has moved on. */
export class AtTimeoutError extends AtError {
  override name = 'AtTimeoutError';
  constructor(
    command: string,
    readonly timeoutMs: number,
    lines: readonly string[] = [],
  ) {
    super(`no final result to ${command} within ${timeoutMs} ms`, command, lines);
  }
}

/** The port closed (or was never open) while the command waited. */
export class AtPortClosedError extends AtError {
  override name = 'AtPortClosedError';
  constructor(command: string, reason = 'port closed') {
    super(reason, command);
  }
}
