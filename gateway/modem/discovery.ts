/**
 * Finding the SIM7600's AT and audio ports.
 *
 * Explicit paths (configuration) win. Otherwise /dev/serial/by-id is searched for SimTech links;
 * the interface number in the link name (`...-if02-port0`) is stable across replugs, unlike ttyUSBn.
 * Which interface is which depends on the USB composition (product id):
 *
 *   1e0e:9001 (default; serial + QMI):   if00 diag, if01 NMEA, if02 AT, if03 modem (PPP, also AT), if04 audio, if05 wwan
 *   1e0e:9011 (RNDIS first):             if00-01 RNDIS, if02 diag, if03 NMEA, if04 AT, if05 modem (also AT), if06 audio
 *
 * The product id comes from sysfs (the tty's USB device `idProduct`), else SerialPort.list() (which
 * needs `udevadm`; its rejection is expected on minimal systems), else from which interfaces exist.
 */
import { readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { SerialPort } from 'serialport';

export interface ModemPorts {
  at: string;
  audio: string;
  productId: string | null;
  source: 'config' | 'by-id';
}

export const USB_LAYOUTS: Record<string, { at: string; audio: string }> = {
  '9001': { at: 'if02', audio: 'if04' },
  '9011': { at: 'if04', audio: 'if06' },
};

export interface DiscoveryOptions {
  atPath?: string;
  audioPath?: string;
  byIdDir?: string;
  sysfsRoot?: string;
  /** Injected for tests; default SerialPort.list (rejected when udevadm is missing). */
  listPorts?: () => Promise<{ path: string; productId?: string }[]>;
}

/** Pure: pick AT/audio among by-id names of one modem, given its product id (null = infer). */
export function pickPorts(names: readonly string[], productId: string | null): { at: string; audio: string; productId: string } | null {
  const byIf = new Map<string, string>();
  for (const n of names) {
    const m = /-(if\d\d)(?:-port\d+)?$/.exec(n);
    if (m) byIf.set(m[1], n);
  }
  const pid = productId && USB_LAYOUTS[productId] ? productId : byIf.has('if06') ? '9011' : '9001';
  const layout = USB_LAYOUTS[pid];
  const at = byIf.get(layout.at);
  const audio = byIf.get(layout.audio);
  return at && audio ? { at, audio, productId: pid } : null;
}

/** Returns the ports, or null when no modem is present right now. */
export async function discoverModemPorts(opts: DiscoveryOptions = {}): Promise<ModemPorts | null> {
  if (opts.atPath && opts.audioPath) return { at: opts.atPath, audio: opts.audioPath, productId: null, source: 'config' };
  const dir = opts.byIdDir ?? '/dev/serial/by-id';
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return null; // no USB serial devices at all
  }
  const simtech = entries.filter((e) => /simtech/i.test(e)).sort();
  if (simtech.length === 0) return null;
  // One modem: group by everything before -ifNN and take the first group.
  const groups = new Map<string, string[]>();
  for (const n of simtech) {
    const key = n.replace(/-if\d\d(-port\d+)?$/, '');
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  const names = [...groups.values()][0];
  const productId = await productIdOf(path.join(dir, names[0]), opts);
  const picked = pickPorts(names, productId);
  if (!picked) return null;
  return { at: path.join(dir, picked.at), audio: path.join(dir, picked.audio), productId: picked.productId, source: 'by-id' };
}

async function productIdOf(linkPath: string, opts: DiscoveryOptions): Promise<string | null> {
  let tty: string;
  try {
    tty = await realpath(linkPath);
  } catch {
    return null;
  }
  try {
    // /sys/class/tty/ttyUSB2/device -> .../1-1:1.2/ttyUSB2 ; its grandparent is the USB device.
    const dev = await realpath(path.join(opts.sysfsRoot ?? '/sys', 'class/tty', path.basename(tty), 'device'));
    const pid = (await readFile(path.join(dev, '..', '..', 'idProduct'), 'utf8')).trim();
    if (pid) return pid.toLowerCase();
  } catch {
    // not Linux sysfs, or not a USB tty (the emulator's pty)
  }
  try {
    const list = await (opts.listPorts ?? (() => SerialPort.list()))();
    const hit = list.find((p) => p.path === tty);
    if (hit?.productId) return hit.productId.toLowerCase();
  } catch {
    // SerialPort.list() spawns udevadm, which minimal systems (and containers) lack.
  }
  return null;
}
