import { describe, expect, it } from 'vitest';
import { parseArgs, type CommandSpec } from '../../src/cli/args.js';

const spec: CommandSpec = {
  name: 'run', usage: 'run', summary: '', stopAtPositional: true,
  options: [{ name: 'kernel', value: 'R', help: '' }, { name: 'stats', help: '' }, { name: 'x', value: 'V', repeat: true, help: '' }],
};

describe('parseArgs', () => {
  it.each([
    [['--kernel', '2.6.32', '--', 'prog', '--stats'], { kernel: '2.6.32' }, ['prog', '--stats']],
    [['--kernel=4.19', 'prog', '--kernel', '9'], { kernel: '4.19' }, ['prog', '--kernel', '9']],
    [['--stats', 'prog'], { stats: true }, ['prog']],
    [['--x', 'a', '--x=b', 'p'], { x: ['a', 'b'] }, ['p']],
  ] as const)('%j', (argv, options, positionals) => {
    const p = parseArgs(spec, argv);
    expect(p.options).toEqual(options);
    expect(p.positionals).toEqual(positionals);
  });

  it.each([[['--nope']], [['--kernel']], [['--stats=1']]])('refuses %j', (argv) => {
    expect(() => parseArgs(spec, argv)).toThrow(/--/);
  });
});
