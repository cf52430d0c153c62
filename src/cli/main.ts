/**
 * cr-shim's entry point: the one place that prints errors and calls process.exit.
 * Errors print as one line: "cr-shim: <op>: <message>; <fix>".
 */
import { ShimError, UsageError } from '../errors.js';
import { helpText, parseArgs, type CommandSpec, type Parsed } from './args.js';
import { runCommand, runSpec } from './commands/run.js';

interface Command {
  spec: CommandSpec;
  main: (p: Parsed) => Promise<number>;
}

const COMMANDS: Command[] = [{ spec: runSpec, main: runCommand }];

const VERSION = '0.1.0';

function usage(): string {
  const lines = ['usage: cr-shim COMMAND [OPTIONS]', '', 'commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.spec.name.padEnd(10)} ${c.spec.summary}`);
  lines.push('', 'cr-shim COMMAND --help for a command\'s options.');
  return lines.join('\n') + '\n';
}

/** Exit status for a failure of cr-shim itself, distinct from the program's (125 as env/timeout use). */
const EXIT_SHIM_FAILED = 125;
const EXIT_USAGE = 2;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === '--version') {
    process.stdout.write(`cr-shim ${VERSION}\n`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.spec.name === name);
  if (!cmd) throw new UsageError('cr-shim', `unknown command ${name}`, { code: 'EUSAGE', hint: 'cr-shim --help lists the commands' });
  if ((rest[0] === '--help' || rest[0] === '-h')) {
    process.stdout.write(helpText(cmd.spec));
    return 0;
  }
  return cmd.main(parseArgs(cmd.spec, rest));
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (err: unknown) => {
    if (err instanceof ShimError) {
      process.stderr.write(`cr-shim: ${err.op}: ${err.message}${err.hint ? `; ${err.hint}` : ''}\n`);
      if (process.env.CR_SHIM_DEBUG && err.cause) process.stderr.write(`${String((err.cause as Error).stack ?? err.cause)}\n`);
      process.exit(err instanceof UsageError ? EXIT_USAGE : EXIT_SHIM_FAILED);
    }
    process.stderr.write(`cr-shim: internal error: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(EXIT_SHIM_FAILED);
  },
);
