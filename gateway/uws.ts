/**
 * Loads uWebSockets.js and refuses to run on its pure-JS fallback.
 *
 * The package quietly swaps in a slow `ws`-based shim when its native binary does not match the
 * Node build; a voice gateway on that shim would meet none of its latency targets, so we stop here
 * with a message an operator can act on.
 */
import { createRequire } from 'node:module';
import type * as UWS from 'uWebSockets.js';

export type { UWS };

export class NativeUwsMissingError extends Error {
  override name = 'NativeUwsMissingError';
}

function load(): typeof UWS {
  const require = createRequire(import.meta.url);
  const originalWarn = console.warn;
  const warnings: string[] = [];
  // The package prints its own fallback warning; capture it so our error carries the real cause.
  console.warn = (...args: unknown[]) => warnings.push(args.map(String).join(' '));
  let mod: typeof UWS;
  try {
    mod = require('uWebSockets.js') as typeof UWS;
  } finally {
    console.warn = originalWarn;
  }
  if (!String(mod.App).includes('[native code]')) {
    throw new NativeUwsMissingError(
      'uWebSockets.js native binary did not load for this Node build ' +
        `(node ${process.version}, modules ${process.versions.modules}, ${process.platform}-${process.arch}); ` +
        'refusing to run on the slow JavaScript fallback. Reinstall dependencies with `npm ci`. ' +
        (warnings.length ? `Cause: ${warnings.join(' ').trim()}` : ''),
    );
  }
  return mod;
}

export const uws: typeof UWS = load();
