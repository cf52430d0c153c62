/**
 * Installing cr_shim_criu.so into a CRIU plugin directory (CRIU's --libdir or
 * `libdir` in a CRIU configuration file, $CRIU_LIBS_DIR, or /usr/lib/criu).
 * The library is copied and renamed into place, so a CRIU starting meanwhile
 * loads either the old file or the new one, never half of one.
 *
 *   cr_shim_criu.conf ::= { KEY " " VALUE "\n" }     KEY: socket (the service's socket path)
 */
import fs from 'node:fs';
import path from 'node:path';
import { ShimError, UsageError } from '../errors.js';
import { PLUGIN_BUILD_PATH, PLUGIN_CONF_FILE, PLUGIN_FILE } from './paths.js';

export interface InstallResult {
  plugin: string;
  conf?: string;
}

/** Install into `dir` (created if missing); with `socket`, write the configuration beside it. Throws UsageError or ShimError. */
export function installPlugin(dir: string, opts: { socket?: string } = {}): InstallResult {
  if (!fs.existsSync(PLUGIN_BUILD_PATH)) {
    throw new ShimError('plugin install', `${PLUGIN_BUILD_PATH} is not built`, { code: 'ENOENT', hint: 'run npm install to build native/' });
  }
  if (opts.socket !== undefined && !path.isAbsolute(opts.socket)) {
    throw new UsageError('plugin install', `--socket ${opts.socket} is not an absolute path`, { code: 'EUSAGE', hint: 'give the path cr-shim serve --socket listens on' });
  }
  const target = path.resolve(dir);
  try {
    fs.mkdirSync(target, { recursive: true, mode: 0o755 });
    const plugin = path.join(target, PLUGIN_FILE);
    const tmp = `${plugin}.${process.pid}.tmp`;
    fs.copyFileSync(PLUGIN_BUILD_PATH, tmp);
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, plugin);
    if (opts.socket === undefined) return { plugin };
    const conf = path.join(target, PLUGIN_CONF_FILE);
    fs.writeFileSync(`${conf}.${process.pid}.tmp`, `socket ${opts.socket}\n`, { mode: 0o644 });
    fs.renameSync(`${conf}.${process.pid}.tmp`, conf);
    return { plugin, conf };
  } catch (cause) {
    throw new ShimError('plugin install', `cannot install into ${target}: ${(cause as Error).message}`, {
      cause,
      code: (cause as NodeJS.ErrnoException).code,
      hint: 'give a directory you may write (root for /usr/lib/criu)',
    });
  }
}
