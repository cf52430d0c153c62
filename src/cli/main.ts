/**
 * cr-shim's entry point: the one place that prints errors and calls process.exit.
 * Errors print as one line: "cr-shim: <op>: <message>; <fix>".
 */
import { ShimError, UsageError } from '../errors.js';
import { helpText, parseArgs, type CommandSpec, type Parsed } from './args.js';

interface Command {
  spec: CommandSpec;
  main: (p: Parsed) => Promise<number>;
}

/**
 * The commands, in the order `--help` lists them. Each module is imported only
 * when its command runs: loading all of them costs `cr-shim run` about 70 ms
 * and several MB it does not need.
 */
const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<Command>]> = [
  ['run', async () => { const m = await import('./commands/run.js'); return { spec: m.runSpec, main: m.runCommand }; }],
  ['restore', async () => { const m = await import('./commands/restore.js'); return { spec: m.restoreSpec, main: m.restoreCommand }; }],
  ['attach', async () => { const m = await import('./commands/attach.js'); return { spec: m.attachSpec, main: m.attachCommand }; }],
  ['dump', async () => { const m = await import('./commands/dump.js'); return { spec: m.dumpSpec, main: m.dumpCommand }; }],
  ['serve', async () => { const m = await import('./commands/serve.js'); return { spec: m.serveSpec, main: m.serveCommand }; }],
  ['plugin', async () => { const m = await import('./commands/plugin.js'); return { spec: m.pluginSpec, main: m.pluginCommand }; }],
  ['check', async () => { const m = await import('./commands/check.js'); return { spec: m.checkSpec, main: m.checkCommand }; }],
  ['convert', async () => { const m = await import('./commands/convert.js'); return { spec: m.convertSpec, main: m.convertCommand }; }],
  ['doctor', async () => { const m = await import('./commands/doctor.js'); return { spec: m.doctorSpec, main: m.doctorCommand }; }],
  ['filter', async () => { const m = await import('./commands/filter.js'); return { spec: m.filterSpec, main: m.filterCommand }; }],
  ['bpf', async () => { const m = await import('./commands/bpf.js'); return { spec: m.bpfSpec, main: m.bpfCommand }; }],
  ['tables', async () => { const m = await import('./commands/tables.js'); return { spec: m.tablesSpec, main: m.tablesCommand }; }],
  ['persona', async () => { const m = await import('./commands/persona.js'); return { spec: m.personaSpec, main: m.personaCommand }; }],
  ['bench', async () => { const m = await import('./commands/bench.js'); return { spec: m.benchSpec, main: m.benchCommand }; }],
];

const VERSION = '0.1.0';

async function usage(): Promise<string> {
  const lines = ['usage: cr-shim COMMAND [OPTIONS]', '', 'commands:'];
  for (const [, load] of COMMANDS) {
    const c = await load();
    lines.push(`  ${c.spec.name.padEnd(10)} ${c.spec.summary}`);
  }
  lines.push('', 'cr-shim COMMAND --help for a command\'s options.');
  return lines.join('\n') + '\n';
}

/** Exit status for a failure of cr-shim itself, distinct from the program's (125 as env/timeout use). */
const EXIT_SHIM_FAILED = 125;
const EXIT_USAGE = 2;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(await usage());
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === '--version') {
    process.stdout.write(`cr-shim ${VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS.find(([n]) => n === name);
  const cmd = entry === undefined ? undefined : await entry[1]();
  if (!cmd) throw new UsageError('cr-shim', `unknown command ${name}`, { code: 'EUSAGE', hint: 'cr-shim --help lists the commands' });
  if ((rest[0] === '--help' || rest[0] === '-h')) {
    process.stdout.write(helpText(cmd.spec));
    return 0;
  }
  return cmd.main(parseArgs(cmd.spec, rest));
}

/** Exit once stdout has drained: process.exit alone cuts off output still queued for a pipe. */
function exitAfterFlush(status: number): void {
  process.stdout.write('', () => process.exit(status));
}

main(process.argv.slice(2)).then(exitAfterFlush, (err: unknown) => {
  if (err instanceof ShimError) {
    process.stderr.write(`cr-shim: ${err.op}: ${err.message}${err.hint ? `; ${err.hint}` : ''}\n`);
    if (process.env.CR_SHIM_DEBUG && err.cause) process.stderr.write(`${String((err.cause as Error).stack ?? err.cause)}\n`);
    exitAfterFlush(err.exitStatus ?? (err instanceof UsageError ? EXIT_USAGE : EXIT_SHIM_FAILED));
    return;
  }
  process.stderr.write(`cr-shim: internal error: ${(err as Error).stack ?? String(err)}\n`);
  exitAfterFlush(EXIT_SHIM_FAILED);
});
