/** Where `cr-shim serve` listens and where the CRIU plugin is installed from. */
import { buildOutput } from '../native/addon.js';

/** $CR_SHIM_SOCKET, else /run/cr-shim/serve.sock (native/criu-plugin.c has the same default). */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CR_SHIM_SOCKET || '/run/cr-shim/serve.sock';
}

/** The plugin npm install built. */
export const PLUGIN_BUILD_PATH = buildOutput('cr_shim_criu.so');
/** Its file name in a CRIU plugin directory (CRIU loads every *.so there), and its configuration beside it. */
export const PLUGIN_FILE = 'cr_shim_criu.so';
export const PLUGIN_CONF_FILE = 'cr_shim_criu.conf';
