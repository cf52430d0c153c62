/**
 * The only module that loads a native .node file. Everything else imports the
 * NotifyAddon type from ./addon-types.js and gets the object from here.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ShimError } from '../errors.js';
import type { NotifyAddon } from './addon-types.js';

/**
 * build/Release/<name>, resolved from this file: src/native/ under vitest and
 * dist/native/ when compiled are both two levels below the package root.
 */
export function buildOutput(name: string): string {
  return fileURLToPath(new URL(`../../build/Release/${name}`, import.meta.url));
}

export const ADDON_PATH = buildOutput('cr_shim_notify.node');

let cached: NotifyAddon | undefined;

/** Load cr_shim_notify.node once per thread. Throws ShimError (code ENOENT when not built). */
export function loadAddon(): NotifyAddon {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  try {
    cached = require(ADDON_PATH) as NotifyAddon;
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' ? 'ENOENT' : 'ELIBBAD';
    throw new ShimError(`load ${ADDON_PATH}`, `cannot load the native notification loop: ${(cause as Error).message}`, {
      cause,
      code,
      hint: 'run npm install to build native/',
    });
  }
  return cached;
}

/** Alias of loadAddon. */
export const loadNotifyAddon = loadAddon;
