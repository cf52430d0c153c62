/**
 * `cr-shim tables list | show | diff` through the real CLI: text, JSON and CSV, and the
 * one-line errors. The rows themselves are checked as data in test/plan/{diff,show}.unit.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { describeResult } from '../helpers/run-process.js';

beforeAll(() => requireShimBuilt());

async function ok(args: string[]): Promise<CliResult> {
  const r = await runCli(['tables', ...args]);
  expect(r.status, describeResult(r)).toBe(0);
  return r;
}

/** RFC 4180 fields, as src/cli/format/csv.ts writes them: quoted fields may hold commas and "". */
function parseCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') record.push(field), (field = '');
    else if (ch === '\n') record.push(field), records.push(record), (record = []), (field = '');
    else field += ch;
  }
  const [header, ...rows] = records;
  expect(header, 'CSV header').toBeDefined();
  for (const r of rows) expect(r.length, r.join(',')).toBe(header!.length);
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ''])));
}

describe.concurrent('tables list', () => {
  it('prints the releases per ABI as ranges', async () => {
    const { stdout } = await ok(['list']);
    expect(stdout).toMatch(/^\s*x86_64\s+2\.6\.16-6\.18\s+104\b/m);
    expect(stdout).toMatch(/^\s*ia32\s+2\.6\.16-6\.18\s+104\b/m);
    expect(stdout).toMatch(/^\s*aarch64\s+5\.0-6\.18\s+39\s+data only/m);
  });

  it('--json gives releases and ranges per ABI', async () => {
    const out = JSON.parse((await ok(['list', '--json'])).stdout) as { abis: { arch: string; releases: string[]; ranges: unknown[]; count: number; host: boolean }[] };
    expect(out.abis.map((a) => a.arch)).toEqual(['x86_64', 'ia32', 'aarch64']);
    expect(out.abis[0]).toMatchObject({ count: 104, host: true, ranges: [{ from: '2.6.16', to: '6.18', count: 104 }] });
    expect(out.abis[2]?.releases.slice(0, 2)).toEqual(['5.0', '5.1']);
    expect(out.abis[2]?.host).toBe(false);
  });

  it('--csv --counts --arch aarch64: one row per release with status counts', async () => {
    const rows = parseCsv((await ok(['list', '--csv', '--counts', '--arch', 'aarch64'])).stdout);
    expect(rows).toHaveLength(39);
    expect(rows[0]).toEqual({ arch: 'aarch64', release: '5.0', present: '277', gutted: '1', removed: '0' });
    expect(rows.find((r) => r.release === '5.12')?.removed).toBe('1'); // lookup_dcookie
  });
});

describe.concurrent('tables diff', () => {
  it('5.11 5.12: lookup_dcookie removed, answered by its handler (text)', async () => {
    const { stdout } = await ok(['diff', '5.11', '5.12']);
    expect(stdout).toMatch(/^1 removed, 0 gutted, 1 added, 2 changed$/m);
    expect(stdout).toMatch(/^\s*212\s+lookup_dcookie\s+handler lookup_dcookie\s+full\s+removed in 5\.12/m);
    expect(stdout).toMatch(/^\s*442\s+mount_setattr\s+5\.12\s+.*ENOSYS$/m);
  });

  it('5.11 5.12 --json: an object with an array per kind', async () => {
    const out = JSON.parse((await ok(['diff', '5.11', '5.12', '--json'])).stdout);
    expect(out).toMatchObject({ arch: 'x86_64', from: { release: '5.11' }, to: { release: '5.12' }, counts: { removed: 1, added: 1, gutted: 0 } });
    expect(out.removed[0]).toMatchObject({ name: 'lookup_dcookie', nr: 212, crShim: { action: 'handler', handler: 'lookup_dcookie', support: 'full' } });
    expect(out.added[0]).toMatchObject({ name: 'mount_setattr', crShim: { action: 'errno', errno: 'ENOSYS' } });
  });

  it('3.0 3.1 --csv: nfsservctl removed, rows by number', async () => {
    const rows = parseCsv((await ok(['diff', '3.0', '3.1', '--csv'])).stdout);
    expect(rows.find((r) => r.name === 'nfsservctl')).toMatchObject({ kind: 'removed', nr: '180', cr_shim: 'handler nfsservctl', support: 'partial' });
    const nrs = rows.map((r) => Number(r.nr));
    expect(nrs).toEqual([...nrs].sort((a, b) => a - b));
  });

  it('5.4 5.5: _sysctl gutted, still answered by the sysctl handler', async () => {
    const rows = parseCsv((await ok(['diff', '5.4', '5.5', '--csv'])).stdout);
    expect(rows.filter((r) => r.kind === 'gutted')).toMatchObject([{ name: '_sysctl', from_status: 'present', to_status: 'gutted', cr_shim: 'handler sysctl' }]);
  });

  it('3.16 3.17 adds getrandom, seccomp and memfd_create, refused under a 3.16 persona', async () => {
    const rows = parseCsv((await ok(['diff', '3.16', '3.17', '--csv'])).stdout);
    const added = rows.filter((r) => r.kind === 'added');
    expect(added.map((r) => r.name)).toEqual(expect.arrayContaining(['getrandom', 'seccomp', 'memfd_create']));
    for (const r of added) expect(r).toMatchObject({ cr_shim: 'ENOSYS', basis: 'absent' });
    expect(rows.find((r) => r.name === 'getrandom')?.to_args).toBe('char *buf; size_t count; unsigned int flags');
  });

  it('aarch64 6.11 6.12: pkey_* change their Kconfig gate, nothing is added or removed', async () => {
    const out = JSON.parse((await ok(['diff', '6.11', '6.12', '--arch', 'aarch64', '--json'])).stdout);
    expect(out.counts).toMatchObject({ added: 0, removed: 0 });
    expect(out.changed.filter((r: { name: string }) => r.name.startsWith('pkey_'))).toHaveLength(3);
  });
});

describe.concurrent('tables show', () => {
  it('aarch64 5.0 --json: no open (aarch64 never had it), openat present; the host is hypothetical', async () => {
    const out = JSON.parse((await ok(['show', '5.0', '--arch', 'aarch64', '--json'])).stdout);
    const names = new Map((out.syscalls as { name: string; nr: number; status: string; crShim: { text: string } }[]).map((s) => [s.name, s]));
    expect(names.has('open')).toBe(false);
    expect(names.get('openat')).toMatchObject({ nr: 56, status: 'present' });
    expect(out).toMatchObject({ arch: 'aarch64', release: '5.0', exact: true, host: { thisHost: false }, file: 'tables/aarch64/linux-5.0.json' });
  });

  it('2.6.32 --csv: every entry of the table with cr-shim\'s answer on this host', async () => {
    const rows = parseCsv((await ok(['show', '2.6.32', '--csv'])).stdout);
    expect(rows.length).toBeGreaterThan(250);
    expect(rows.find((r) => r.name === 'uname')).toMatchObject({ nr: '63', status: 'present', cr_shim: 'handler uname', support: 'full' });
    expect(rows.find((r) => r.name === '_sysctl')).toMatchObject({ cr_shim: 'handler sysctl', support: 'partial' });
    expect(rows.find((r) => r.name === 'read')).toMatchObject({ cr_shim: 'allow', args: 'unsigned int fd; char *buf; size_t count' });
    expect(rows.some((r) => r.name === 'getrandom')).toBe(false);
  });

  it('text: header, one line per call and the refused newer calls', async () => {
    const { stdout } = await ok(['show', '3.10']);
    expect(stdout).toMatch(/^x86_64 syscall table of Linux 3\.10 \(tables\/x86_64\/linux-3\.10\.json\)/);
    expect(stdout).toMatch(/^\s*63\s+uname\s+present\s+.*handler uname\s+full\s+struct new_utsname \*name$/m);
    expect(stdout).toMatch(/refused with ENOSYS \(\d+\):\n.*getrandom/);
  });

  it('a distribution release resolves to its mainline table, with a notice', async () => {
    const r = await ok(['show', '5.4.0-150-generic', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ requested: '5.4.0-150-generic', release: '5.4' });
    expect(r.stderr).toMatch(/^cr-shim: kernel 5\.4\.0-150-generic: using the x86_64 table of 5\.4$/m);
    expect((await ok(['show', '5.4.0-150-generic', '--json', '--quiet'])).stderr).toBe('');
  });
});

describe.concurrent('tables errors: one line, exit 2', () => {
  const rows: { args: string[]; message: RegExp }[] = [
    { args: ['show', '3.20'], message: /no mainline release 3\.20/ },
    { args: ['show', 'banana'], message: /not a kernel release: "banana"/ },
    { args: ['diff', '2.6.32', '6.18', '--arch', 'aarch64'], message: /older than the oldest known release 5\.0/ },
    { args: ['show', '5.4', '--arch', 'mips'], message: /unknown ABI --arch mips/ },
    { args: ['show'], message: /tables show: takes RELEASE, got none/ },
    { args: ['diff', '5.4'], message: /tables diff: takes A B, got 5\.4/ },
    { args: ['frob'], message: /unknown subcommand frob/ },
    { args: [], message: /no subcommand given/ },
    { args: ['list', '--json', '--csv'], message: /--json and --csv exclude each other/ },
  ];
  it.each(rows)('tables $args', async ({ args, message }) => {
    const r = await runCli(['tables', ...args]);
    expect(r.status, describeResult(r)).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^cr-shim: [^\n]+\n$/);
    expect(r.stderr).toMatch(message);
  });

  it('--help lists the subcommands; cr-shim --help lists tables', async () => {
    expect((await ok(['--help'])).stdout).toMatch(/usage: cr-shim tables list .*show RELEASE.*diff A B/);
    const top = await runCli(['--help']);
    expect(top.stdout).toMatch(/^\s+tables\s/m);
  });
});
