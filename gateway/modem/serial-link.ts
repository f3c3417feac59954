/**
 * The byte pipe under the AT engine and the audio port: a SerialPort (path + 115200 baud) behind
 * a tiny interface, so the engine can be driven by an in-memory link in unit tests and by a real
 * pty (the emulator) or ttyUSB in integration.
 */
import { statSync } from 'node:fs';
import { SerialPort } from 'serialport';

export interface SerialLink {
  readonly path: string;
  readonly isOpen: boolean;
  /** `done` runs once the bytes are in the OS (or the write failed): the device has them from then on. */
  write(data: Uint8Array | string, done?: () => void): void;
  onData(fn: (chunk: Buffer) => void): void;
  /** Fires once when the link closes for any reason (our close(), the device vanishing). */
  onClose(fn: (reason: string) => void): void;
  close(): Promise<void>;
}

export const MODEM_BAUD_RATE = 115200;

/** Open a serial device. Rejects when it does not exist or cannot be opened. */
export function openSerialLink(path: string, baudRate = MODEM_BAUD_RATE): Promise<SerialLink> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false, hupcl: false });
    port.open((err) => {
      if (err) reject(err);
      else resolve(new SerialPortLink(port, path));
    });
  });
}

/** How often an open port's device node is looked for (a vanished one closes the link). */
const PRESENCE_CHECK_MS = 1000;

/** The device node behind `path` (symlinks followed), or null when there is none. */
function deviceOf(path: string): string | null {
  const st = statSync(path, { throwIfNoEntry: false });
  return st ? `${st.dev}:${st.ino}:${st.rdev}` : null;
}

class SerialPortLink implements SerialLink {
  private closeListeners: ((reason: string) => void)[] = [];
  private closed = false;
  private readonly presence: NodeJS.Timeout;

  constructor(
    private readonly port: SerialPort,
    readonly path: string,
  ) {
    port.on('close', (err?: Error | null) => this.markClosed(err ? `device lost: ${err.message}` : 'closed'));
    // A write or read error on a vanished device: treat as closed (serialport may not emit close).
    port.on('error', (err: Error) => this.lost(`error: ${err.message}`));
    // serialport learns of a vanished device from a failing read, which waits on its poller; seen
    // once, under load, to miss a pty's hang-up for over a minute. The device node going away
    // (USB unplugged: /dev/ttyUSB* removed; the emulator: socat's link removed) is the other sign,
    // and so is the path naming another device now (replugged within the second; a by-id link
    // pointing at the new ttyUSBn): this handle is on the old one either way.
    const opened = deviceOf(path);
    this.presence = setInterval(() => {
      const now = deviceOf(path);
      if (!now || (opened !== null && now !== opened)) this.lost(`device lost: ${path} ${now ? 'is another device now' : 'is gone'}`);
    }, PRESENCE_CHECK_MS);
    this.presence.unref();
  }

  private lost(reason: string): void {
    this.markClosed(reason);
    if (this.port.isOpen) this.port.close(() => {});
  }

  get isOpen(): boolean {
    return !this.closed && this.port.isOpen;
  }

  write(data: Uint8Array | string, done?: () => void): void {
    if (!this.isOpen) {
      done?.();
      return;
    }
    this.port.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, done && (() => done()));
  }

  onData(fn: (chunk: Buffer) => void): void {
    this.port.on('data', fn);
  }

  onClose(fn: (reason: string) => void): void {
    this.closeListeners.push(fn);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.port.isOpen) {
        this.markClosed('closed');
        resolve();
        return;
      }
      this.port.close(() => {
        this.markClosed('closed');
        resolve();
      });
    });
  }

  private markClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.presence);
    for (const fn of this.closeListeners) fn(reason);
    this.closeListeners = [];
  }
}
