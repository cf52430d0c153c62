/**
 * cr-shim's entry point: the one place that prints errors and calls process.exit.
 * Errors print as one line: "cr-shim: <op>: <message>; <fix>".
 */
import { ShimError, UsageError } from '../errors.js';
import { helpText, parseArgs, type CommandSpec, type Parsed } from './args.js';
import { errorLine, escapeControl } from './error-line.js';
import { EXIT, exitStatusOf } from './exit-status.js';
import { watchStdout, writeStdout } from './stdout.js';

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

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    await writeStdout(await usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version') {
    await writeStdout(`cr-shim ${VERSION}\n`);
    return EXIT.ok;
  }
  const entry = COMMANDS.find(([n]) => n === name);
  const cmd = entry === undefined ? undefined : await entry[1]();
  if (!cmd) throw new UsageError(name, 'unknown command', { code: 'EUSAGE', hint: 'cr-shim --help lists the commands' });
  if ((rest[0] === '--help' || rest[0] === '-h')) {
    await writeStdout(helpText(cmd.spec));
    return EXIT.ok;
  }
  return cmd.main(parseArgs(cmd.spec, rest));
}

const stdoutFailure = watchStdout();

/** Print the error's one line (none for a closed stdout) and return its exit status. */
function report(err: unknown): number {
  if (err instanceof ShimError) {
    if (exitStatusOf(err) !== EXIT.stdoutClosed) process.stderr.write(errorLine(err));
    if (process.env.CR_SHIM_DEBUG && err.cause) process.stderr.write(`${String((err.cause as Error).stack ?? err.cause)}\n`);
  } else {
    // A bug: one line by default, the stack on request.
    process.stderr.write(`cr-shim: internal error: ${escapeControl(String((err as Error).message ?? err))}; CR_SHIM_DEBUG=1 prints the stack\n`);
    if (process.env.CR_SHIM_DEBUG) process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  }
  return exitStatusOf(err);
}

/**
 * Exit once stdout has drained: process.exit alone cuts off output still queued for a pipe. A
 * write error on stdout, awaited or not, decides the status of a command that otherwise succeeded.
 */
function exitAfterFlush(status: number): void {
  const failed = stdoutFailure();
  if (failed !== undefined) {
    process.exit(status === EXIT.ok ? report(failed) : status);
  }
  process.stdout.write('', () => {
    const late = stdoutFailure();
    process.exit(late !== undefined && status === EXIT.ok ? report(late) : status);
  });
}

main(process.argv.slice(2)).then(exitAfterFlush, (err: unknown) => exitAfterFlush(report(err)));
