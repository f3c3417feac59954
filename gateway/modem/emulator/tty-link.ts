/**
 * A SerialLink over a pty opened as a libuv TTY stream, for the emulator's side of the audio port.
 *
 * serialport reads and writes through libuv's thread pool, which the gateway shares (SQLite, file
 * writes): when that pool is busy the emulator would read the downlink late, underrun, then get a
 * burst, and report a modem queue deeper than anything the gateway wrote; a hardware modem's DMA
 * never waits like that. A TTY stream is polled on the event loop itself, so bytes reach the
 * emulator as soon as the kernel has them. (The gateway keeps serialport: it is what runs against
 * a real /dev/ttyUSB, and its pacing counts writes still in the pool as queued.)
 */
import { closeSync, openSync, readSync, constants } from 'node:fs';
import tty from 'node:tty';
import type { SerialLink } from '../serial-link.ts';

export interface TtyLink extends SerialLink {
  /** Read whatever the kernel holds right now and hand it to the data listeners, synchronously. */
  drainNow(): void;
}

export function openTtyLink(path: string): TtyLink {
  // One descriptor per direction: each stream closes its own when destroyed.
  const flags = constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK;
  const readFd = openSync(path, flags);
  if (!tty.isatty(readFd)) {
    closeSync(readFd);
    throw new Error(`${path} is not a terminal device`);
  }
  const input = new tty.ReadStream(readFd);
  input.setRawMode(true); // no line discipline: every byte as it is, at once
  const output = new tty.WriteStream(openSync(path, flags));
  let open = true;
  let closeListeners: ((reason: string) => void)[] = [];
  const markClosed = (reason: string) => {
    if (!open) return;
    open = false;
    for (const fn of closeListeners) fn(reason);
    closeListeners = [];
  };
  // The other side vanishing shows up as EIO or end of stream on a pty.
  input.on('error', (err) => markClosed(`device lost: ${err.message}`));
  output.on('error', (err) => markClosed(`device lost: ${err.message}`));
  input.on('end', () => markClosed('device lost: end of stream'));
  const listeners: ((chunk: Buffer) => void)[] = [];
  const scratch = Buffer.alloc(65536);
  return {
    path,
    get isOpen() {
      return open;
    },
    write(data, done) {
      if (!open) {
        done?.();
        return;
      }
      output.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, () => done?.());
    },
    onData(fn) {
      listeners.push(fn);
      input.on('data', (chunk: Buffer | string) => fn(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk));
    },
    drainNow() {
      // The descriptor is non-blocking: EAGAIN means the kernel holds nothing more.
      while (open) {
        let n: number;
        try {
          n = readSync(readFd, scratch, 0, scratch.length, null);
        } catch {
          return;
        }
        if (n <= 0) return;
        const chunk = Buffer.from(scratch.subarray(0, n));
        for (const fn of listeners) fn(chunk);
      }
    },
    onClose(fn) {
      closeListeners.push(fn);
    },
    async close() {
      markClosed('closed');
      output.destroy();
      input.destroy();
    },
  };
}
