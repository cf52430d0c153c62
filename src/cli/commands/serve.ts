/** `cr-shim serve [--socket PATH] [--plain none|image|RELEASE] [--policy FILE] [--criu PATH] [--quiet]` */
import type { CommandSpec, Parsed } from '../args.js';
import { flag, str } from '../args.js';
import { writeNotice } from '../error-line.js';
import { UsageError } from '../../errors.js';
import { locateCriu } from '../../criu/binary.js';
import { prepareSession } from '../../supervisor/session.js';
import { defaultSocketPath } from '../../serve/paths.js';
import { Service } from '../../serve/service.js';
import { loadPolicy, plainPolicyOf, type PlainPolicy, type PolicyFile } from '../../serve/policy.js';
import { resolvePersona } from '../../persona/resolve.js';
import { TableRegistry } from '../../tables/registry.js';
import { nameTraceProcess } from '../../phase-trace.js';

export const serveSpec: CommandSpec = {
  name: 'serve',
  usage: 'cr-shim serve [--socket PATH] [--plain none|image|RELEASE] [--policy FILE] [--criu PATH] [--quiet]',
  summary: 'Supervise the trees CRIU restores through the cr-shim plugin (containers) and those cr-shim restore and attach hand over; runs until SIGTERM.',
  options: [
    { name: 'socket', value: 'PATH', help: 'the unix socket the plugin connects to (default: $CR_SHIM_SOCKET, else /run/cr-shim/serve.sock)' },
    { name: 'plain', value: 'none|image|RELEASE', help: 'images without cr-shim.json: under the kernel their vDSO note names (image, the default; as they are when it names this host\'s), as they are (none), or under RELEASE\'s persona' },
    { name: 'policy', value: 'FILE', help: 'JSON rules (tables/schema/serve-policy.schema.json) mapping container names, ids or labels to none, image or a release, for images without cr-shim.json' },
    { name: 'criu', value: 'PATH', help: 'the criu whose version manifests record (default: $CR_SHIM_CRIU, .cache/criu-root/criu, PATH)' },
    { name: 'quiet', help: 'no notices on stderr' },
  ],
};

/** A release is refused now, with the fix, rather than at the first restore inside CRIU. */
function checkKernel(policy: PlainPolicy): PlainPolicy {
  if (policy.kind === 'release') resolvePersona(policy.release, new TableRegistry());
  return policy;
}

function plainPolicy(value: string | undefined): PlainPolicy {
  return checkKernel(plainPolicyOf(value ?? 'image'));
}

function policyFile(file: string | undefined): PolicyFile | undefined {
  if (file === undefined) return undefined;
  const policy = loadPolicy(file);
  for (const k of [policy.plain, ...policy.rules.map((r) => r.kernel)]) if (k !== undefined) checkKernel(plainPolicyOf(k));
  return policy;
}

export async function serveCommand(p: Parsed): Promise<number> {
  if (p.positionals.length > 0) throw new UsageError('serve', `unexpected argument ${p.positionals[0]}`, { code: 'EUSAGE', hint: `usage: ${serveSpec.usage}` });
  const quiet = flag(p.options.quiet);
  nameTraceProcess('serve');
  const explicitCriu = str(p.options.criu);
  let version: Promise<string> | undefined;
  const service = new Service({
    socketPath: str(p.options.socket) ?? defaultSocketPath(),
    plain: plainPolicy(str(p.options.plain)),
    ...(str(p.options.policy) !== undefined ? { policy: policyFile(str(p.options.policy)) } : {}),
    prepare: (release, ioUring) => prepareSession(release, { view: { identityMounted: false, ioUring } }),
    criuVersion: () => (version ??= locateCriu(explicitCriu === undefined ? {} : { explicit: explicitCriu }).then((c) => c.version)),
    notice: (line) => quiet || writeNotice(line, 'cr-shim serve'),
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
