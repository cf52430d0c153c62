import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildArgTable, evaluate, manSince, parseDefines, serializeArgTable, type ArgInputs } from '../../scripts/gen-arg-tables.js';
import { validateJson } from '../../src/tables/load.js';

/** Two fake suites' packages and a man page, laid out as dpkg -x leaves them. */
function fixture(dir: string): ArgInputs {
  const write = (rel: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), rel.endsWith('.gz') ? zlib.gzipSync(text) : text);
  };
  const prctl = (extra: string): string => `#define PR_SET_NAME 15 /* a comment */\n# define PR_SUB_VALUE 1\n#define PR_SET_PTRACER 0x59616d61\n${extra}`;
  write('old/k/usr/include/linux/prctl.h', prctl(''));
  write('new/k/usr/include/linux/prctl.h', prctl('#define PR_GET_AUXV 0x41555856\n#define PR_NEW_UNDATED (PR_SET_NAME + \\\n 50)\n'));
  write('new/k/usr/include/linux/random.h', '#define GRND_NONBLOCK 0x0001\n#define GRND_INSECURE 0x0004\n');
  write('old/k/usr/include/linux/random.h', '#define GRND_NONBLOCK 0x0001\n#define GRND_INSECURE 0x0004\n');
  write('man/usr/share/man/man2/PR_GET_AUXV.2const.gz', '.TH PR_GET_AUXV 2const\n.SH HISTORY\nLinux 6.4.\n.SH SEE ALSO\n');
  write('man/usr/share/man/man2/prctl.2.gz', '.TP\n.BR PR_SET_NAME " (since Linux 2.6.9)"\ntext\n');
  const deb = (suite: string, pkg: string, version: string, root: string) => ({ suite, package: pkg, version, root: path.join(dir, root) });
  return {
    suites: [
      { suite: 'bullseye', kernel: deb('bullseye', 'linux-libc-dev', '5.10.1-1', 'old/k'), libc: deb('bullseye', 'libc6-dev', '2.31-1', 'old/l') },
      { suite: 'trixie', kernel: deb('trixie', 'linux-libc-dev', '6.12.1-1', 'new/k'), libc: deb('trixie', 'libc6-dev', '2.41-1', 'new/l') },
    ],
    manpages: [deb('unstable', 'manpages-dev', '6.20-1', 'man')],
  };
}

describe('gen-arg-tables', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-shim-gen-args-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('dates values by man-pages, by header gaps, and leaves the rest at the oldest headers; byte-identical on rerun', () => {
    const inputs = fixture(tmp);
    const text = serializeArgTable(buildArgTable(inputs));
    expect(serializeArgTable(buildArgTable(inputs))).toBe(text);
    const t = validateJson<ReturnType<typeof buildArgTable>>(JSON.parse(text), 'arg-table', 'fixture');
    const prctl = t.groups['prctl-option']!.values;
    expect(prctl.map((v) => v.name)).toEqual(['PR_SET_NAME', 'PR_NEW_UNDATED', 'PR_GET_AUXV', 'PR_SET_PTRACER']);
    expect(prctl[0]).toMatchObject({ since: '2.6.9', by: '5.10', source: 'since: man-pages prctl(2); linux-libc-dev: in bullseye (5.10)' });
    expect(prctl[1]).toMatchObject({ value: 65, after: '5.10', by: '6.12', source: 'linux-libc-dev: not in bullseye (5.10), in trixie (6.12)' });
    expect(prctl[1]!.since).toBeUndefined();
    expect(prctl[2]).toMatchObject({ since: '6.4', after: '5.10' });
    // A kernel commit dates GRND_INSECURE where man-pages does not.
    expect(t.groups['getrandom-flag']!.values[1]).toMatchObject({ name: 'GRND_INSECURE', since: '5.6' });
    expect(t.sources.map((s) => s.version)).toContain('5.10.1-1 (Debian bullseye)');
    expect(t.releases).toEqual(['5.10', '6.12']);
  });

  it.each([
    ['0x100000', 0x100000n], ['(1ULL << 33)', 1n << 33n], ['02000000', 0o2000000n], ['(__O_TMPFILE | O_DIRECTORY)', 0o20000000n | 0o200000n],
    ['(F_LINUX_SPECIFIC_BASE + 3)', 1027n], ['((unsigned long)1 << 2)', 4n], ['sizeof(int)', undefined],
  ])('evaluate(%s)', (expr, want) => {
    const defs = new Map([['__O_TMPFILE', '020000000'], ['O_DIRECTORY', '00200000'], ['F_LINUX_SPECIFIC_BASE', '1024']]);
    expect(evaluate(expr, defs)).toBe(want);
  });

  it('parseDefines: column 0 is told apart, macros with parameters and self-references are not values, enums are', () => {
    const d = parseDefines('#define A 1\n# define B 2\n#define F(x) x\n#define S S\nenum t {\n S = 5, /* c */\n#define S S\n T = 6\n};\n');
    expect(d.map((x) => [x.name, x.expr, x.column0])).toEqual([['A', '1', true], ['B', '2', false], ['S', '5', true], ['T', '6', true]]);
  });

  it('manSince reads tagged items, two-line tags, tbl rows and body text only when asked', () => {
    const page = '.TP\n.B AF_X\nA family (since Linux 4.1).\n.TP\n.BR MADV_Y\n.RB " (since Linux 5.0)"\nbody\n.TP\nSTATX_Z\tWant z\n\t(since Linux 6.1)\n';
    expect([...manSince(page, 'p(7)', false)].map(([n, f]) => [n, f.since]).sort()).toEqual([['MADV_Y', '5.0'], ['STATX_Z', '6.1']]);
    expect([...manSince(page, 'p(7)', true)].map(([n, f]) => [n, f.since]).sort()).toEqual([['AF_X', '4.1'], ['MADV_Y', '5.0'], ['STATX_Z', '6.1']]);
  });
});
