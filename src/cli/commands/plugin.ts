/** `cr-shim plugin install DIR [--socket PATH]` and `cr-shim plugin path` */
import type { CommandSpec, Parsed } from '../args.js';
import { str } from '../args.js';
import { UsageError } from '../../errors.js';
import { installPlugin } from '../../serve/install-plugin.js';
import { PLUGIN_BUILD_PATH } from '../../serve/paths.js';

export const pluginSpec: CommandSpec = {
  name: 'plugin',
  usage: 'cr-shim plugin install DIR [--socket PATH] | cr-shim plugin path',
  summary: 'Install the CRIU plugin that keeps restored containers under the shim (through cr-shim serve).',
  options: [{ name: 'socket', value: 'PATH', help: 'the socket cr-shim serve listens on, if not /run/cr-shim/serve.sock (written to cr_shim_criu.conf)' }],
};

export async function pluginCommand(p: Parsed): Promise<number> {
  const [verb, dir, ...extra] = p.positionals;
  if (verb === 'path' && dir === undefined) {
    process.stdout.write(`${PLUGIN_BUILD_PATH}\n`);
    return 0;
  }
  if (verb !== 'install' || dir === undefined || extra.length > 0) {
    throw new UsageError('plugin', verb === 'install' ? 'expected one plugin directory' : `unknown verb ${verb ?? '(none)'}`, { code: 'EUSAGE', hint: `usage: ${pluginSpec.usage}` });
  }
  const socket = str(p.options.socket);
  const r = installPlugin(dir, socket === undefined ? {} : { socket });
  process.stdout.write(`installed ${r.plugin}${r.conf ? ` and ${r.conf}` : ''}\n`);
  return 0;
}
