/** `cr-shim serve [--socket PATH] [--plain none|RELEASE] [--criu PATH] [--quiet]` */
import type { CommandSpec, Parsed } from '../args.js';
import { flag, str } from '../args.js';
import { UsageError } from '../../errors.js';
import { locateCriu } from '../../criu/binary.js';
import { prepareSession } from '../../supervisor/session.js';
import { defaultSocketPath } from '../../serve/paths.js';
import { Service, type PlainPolicy } from '../../serve/service.js';
import { resolvePersona } from '../../persona/resolve.js';
import { TableRegistry } from '../../tables/registry.js';

export const serveSpec: CommandSpec = {
  name: 'serve',
  usage: 'cr-shim serve [--socket PATH] [--plain none|RELEASE] [--criu PATH] [--quiet]',
  summary: 'Supervise the trees CRIU restores through the cr-shim plugin (containers); runs until SIGTERM.',
  options: [
    { name: 'socket', value: 'PATH', help: 'the unix socket the plugin connects to (default: $CR_SHIM_SOCKET, else /run/cr-shim/serve.sock)' },
    { name: 'plain', value: 'none|RELEASE', help: 'images without cr-shim.json: restored as they are (none, the default) or under RELEASE\'s persona' },
    { name: 'criu', value: 'PATH', help: 'the criu whose version manifests record (default: $CR_SHIM_CRIU, .cache/criu-root/criu, PATH)' },
    { name: 'quiet', help: 'no notices on stderr' },
  ],
};

function plainPolicy(value: string | undefined): PlainPolicy {
  if (value === undefined || value === 'none') return { kind: 'none' };
  // Refused now, with the fix, rather than at the first restore inside CRIU.
  resolvePersona(value, new TableRegistry());
  return { kind: 'release', release: value };
}

export async function serveCommand(p: Parsed): Promise<number> {
  if (p.positionals.length > 0) throw new UsageError('serve', `unexpected argument ${p.positionals[0]}`, { code: 'EUSAGE', hint: `usage: ${serveSpec.usage}` });
  const quiet = flag(p.options.quiet);
  const explicitCriu = str(p.options.criu);
  let version: Promise<string> | undefined;
  const service = new Service({
    socketPath: str(p.options.socket) ?? defaultSocketPath(),
    plain: plainPolicy(str(p.options.plain)),
    prepare: (release, ioUring) => prepareSession(release, { view: { identityMounted: false, ioUring } }),
    criuVersion: () => (version ??= locateCriu(explicitCriu === undefined ? {} : { explicit: explicitCriu }).then((c) => c.version)),
    notice: (line) => quiet || process.stderr.write(`cr-shim serve: ${line}\n`),
  });
  const stop = () => void service.stop();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    await service.run();
  } finally {
    await service.stop();
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
  return 0;
}
