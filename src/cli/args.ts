/**
 * Command-line options as typed data. Each command declares its options; the
 * parser stops at `--` or, for commands that run a program, at the first
 * positional argument, so the program's own flags pass through untouched.
 */
import { UsageError } from '../errors.js';

export interface OptionSpec {
  name: string;
  /** Takes a value (`--kernel 2.6.32` or `--kernel=2.6.32`); else a boolean flag. */
  value?: string;
  help: string;
  /** May be given more than once; values collect in an array. */
  repeat?: boolean;
}

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  options: OptionSpec[];
  /** Stop option parsing at the first positional (the program to run). */
  stopAtPositional?: boolean;
}

export interface Parsed {
  options: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Index in `positionals` of the first word after `--`, when `--` was given. */
  dashDash?: number;
}

/**
 * Split positionals into the command's own (before `--`) and the pass-through words (after it).
 * Throws UsageError when the command's own are not exactly `count`: an extra word is never
 * passed on silently.
 */
export function ownAndPassThrough(spec: CommandSpec, p: Parsed, count: number): { own: string[]; passThrough: string[] } {
  const own = p.dashDash === undefined ? p.positionals : p.positionals.slice(0, p.dashDash);
  const passThrough = p.dashDash === undefined ? [] : p.positionals.slice(p.dashDash);
  if (own.length > count) {
    throw new UsageError(spec.name, `unexpected argument ${own[count]}`, { code: 'EUSAGE', hint: `options for criu go after --; usage: ${spec.usage}` });
  }
  return { own, passThrough };
}

export function parseArgs(spec: CommandSpec, argv: readonly string[]): Parsed {
  const options: Parsed['options'] = {};
  const positionals: string[] = [];
  let dashDash: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      dashDash = positionals.length;
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const opt = spec.options.find((o) => o.name === name);
      if (!opt) {
        throw new UsageError(spec.name, `unknown option --${name}`, { code: 'EUSAGE', hint: `usage: ${spec.usage}` });
      }
      let v: string | boolean = true;
      if (opt.value) {
        const next = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (next === undefined) throw new UsageError(spec.name, `--${name} needs a value (${opt.value})`, { code: 'EUSAGE', hint: `usage: ${spec.usage}` });
        v = next;
      } else if (eq >= 0) {
        throw new UsageError(spec.name, `--${name} takes no value`, { code: 'EUSAGE' });
      }
      if (opt.repeat) options[name] = [...((options[name] as string[] | undefined) ?? []), String(v)];
      else options[name] = v;
      continue;
    }
    positionals.push(a);
    if (spec.stopAtPositional) {
      positionals.push(...argv.slice(i + 1));
      break;
    }
  }
  return { options, positionals, ...(dashDash === undefined ? {} : { dashDash }) };
}

export function helpText(spec: CommandSpec): string {
  const lines = [`usage: ${spec.usage}`, '', spec.summary, ''];
  for (const o of spec.options) lines.push(`  --${o.name}${o.value ? ' ' + o.value : ''}`.padEnd(28) + o.help);
  return lines.join('\n') + '\n';
}

export const str = (v: Parsed['options'][string]): string | undefined => (typeof v === 'string' ? v : undefined);
export const flag = (v: Parsed['options'][string]): boolean => v === true;
