/**
 * What the argument probe (test/oracle/arg-probe.c) is told to call, derived from the argument
 * tables so the probe itself knows no values: for each group, the probe call that puts a value
 * in the group's argument with harmless others, and the values to try. Pure.
 *
 * Values tried: for a group of values (prctl options, fcntl commands, ...), 0, every named
 * value, and the number after each named value when no name has it (so a value the table
 * does not name but a kernel knows shows up); for a group of flags, every named value (some
 * are several bits: O_TMPFILE, MAP_HUGE_2MB) and every single bit of the argument's width.
 */
import type { ArgGroup, ArgTable } from '../tables/arg-table.js';

export interface ArgProbe {
  /** Group of tables/args/<arch>.json. */
  group: string;
  /** The syscall the probe call makes (a name in the syscall tables). */
  syscall: string;
  /** The probe's CALL (test/oracle/arg-probe.c). */
  call: string;
  /** The call as made, for people (test/oracle/arg-probe.c makes it). */
  how: string;
  /** Flags only: bits of the argument tried one by one. */
  bits?: number;
  /** Values called through `call` + "-nopages" instead, and why. */
  noPages?: { names: readonly string[]; why: string };
}

/** One probe call per group and syscall the probe can call harmlessly. */
export const ARG_PROBES: readonly ArgProbe[] = [
  { group: 'prctl-option', syscall: 'prctl', call: 'prctl', how: 'prctl(VALUE, 0, 0, 0, 0): a PR_SET_* with zeros changes only the child' },
  { group: 'fcntl-command', syscall: 'fcntl', call: 'fcntl', how: 'fcntl(memfd, VALUE, 0): a private memfd, NULL for commands that take a struct' },
  {
    group: 'madvise-advice',
    syscall: 'madvise',
    call: 'madvise',
    how: 'madvise(map, 1 page, VALUE) on a private anonymous mapping of the child',
    noPages: { names: ['MADV_HWPOISON', 'MADV_SOFT_OFFLINE'], why: 'they take a physical page out of service (as root): called with length 0, which checks the advice and touches no page' },
  },
  { group: 'open-flag', syscall: 'openat', call: 'openat', how: 'openat(AT_FDCWD, "/proc/self/fd/<memfd>", VALUE, 0600): a private memfd reopened', bits: 32 },
  { group: 'open-flag', syscall: 'openat2', call: 'openat2', how: 'openat2 of the same path with how.flags = VALUE (openat2 refuses flags it does not know)', bits: 32 },
  { group: 'mmap-flag', syscall: 'mmap', call: 'mmap', how: 'mmap(scratch, 1 page, PROT_READ, VALUE | MAP_ANONYMOUS, -1, 0), MAP_PRIVATE added when VALUE has no mapping type; scratch is a PROT_NONE page of the child', bits: 32 },
  // clone3 checks every bit of its 64-bit flags; clone(2) takes the low 32 bits and ignores the rest.
  { group: 'clone-flag', syscall: 'clone3', call: 'clone3', how: 'clone3({ .flags = VALUE }), exit_signal 0, no pointers: a created process or thread exits at once in assembly, touching no memory', bits: 64 },
  { group: 'getrandom-flag', syscall: 'getrandom', call: 'getrandom', how: 'getrandom(buf, 16, VALUE | GRND_NONBLOCK): never waits for entropy', bits: 32 },
  { group: 'statx-mask', syscall: 'statx', call: 'statx', how: 'statx(memfd, "", AT_EMPTY_PATH, VALUE): also records whether stx_mask reports the bit', bits: 32 },
  { group: 'socket-family', syscall: 'socket', call: 'socket', how: 'socket(VALUE, SOCK_DGRAM, 0); the guest first loads Debian\'s vsock module (no transport), as a Debian system loads it on demand' },
  { group: 'socket-type', syscall: 'socket', call: 'socket-type', how: 'socket(AF_UNIX, VALUE, 0)' },
  { group: 'socket-option', syscall: 'setsockopt', call: 'setsockopt', how: 'setsockopt(udp socket, SOL_SOCKET, VALUE, &(int){0}, 4)' },
  { group: 'socket-option', syscall: 'getsockopt', call: 'getsockopt', how: 'getsockopt(udp socket, SOL_SOCKET, VALUE, buf, &(socklen_t){256})' },
];

export interface ArgCase {
  group: string;
  syscall: string;
  /** The probe call that makes it. */
  call: string;
  value: number;
  /** The table's name(s) for the value ("O_SYNC", "AF_LOCAL/AF_UNIX"), else "bit N" or "unnamed". */
  name: string;
  /** Whether the table names the value. */
  named: boolean;
}

function nameOf(g: ArgGroup, value: number): string | undefined {
  const v = g.values.find((x) => x.value === value);
  return v ? [v.name, ...(v.aliases ?? [])].join('/') : undefined;
}

/** The values tried for one group, ascending. */
export function valuesFor(g: ArgGroup, bits: number | undefined): number[] {
  const set = new Set<number>(g.values.map((v) => v.value));
  if (g.kind === 'flag') {
    for (let b = 0; b < (bits ?? 32); b++) set.add(2 ** b);
  } else {
    set.add(0);
    for (const v of g.values) if (!g.values.some((x) => x.value === v.value + 1)) set.add(v.value + 1);
  }
  return [...set].sort((a, b) => a - b);
}

/** Every case, in ARG_PROBES order and by value within a probe. Groups the table lacks are left out. */
export function argCases(table: ArgTable): ArgCase[] {
  const cases: ArgCase[] = [];
  for (const p of ARG_PROBES) {
    const g = table.groups[p.group];
    if (!g) continue;
    for (const value of valuesFor(g, p.bits)) {
      const named = nameOf(g, value);
      const bit = Number.isInteger(Math.log2(value)) ? Math.log2(value) : undefined;
      const noPages = named !== undefined && p.noPages?.names.some((n) => named.split('/').includes(n));
      cases.push({
        group: p.group,
        syscall: p.syscall,
        call: noPages ? `${p.call}-nopages` : p.call,
        value,
        name: named ?? (g.kind === 'flag' && bit !== undefined ? `bit ${bit}` : 'unnamed'),
        named: named !== undefined,
      });
    }
  }
  return cases;
}

/** The probe's argv: one CALL=V,V,... per call, in case order. */
export function argProbeArgv(cases: readonly ArgCase[]): string[] {
  const byCall = new Map<string, number[]>();
  for (const c of cases) byCall.set(c.call, [...(byCall.get(c.call) ?? []), c.value]);
  return [...byCall].map(([call, values]) => `${call}=${values.map((v) => BigInt(v).toString()).join(',')}`);
}

/** One line per probe call for the report: how it is made and why it is harmless. */
export function argProbeCalls(): string[] {
  return ARG_PROBES.map((p) => `${p.group} (${p.syscall}): ${p.how}${p.noPages ? `; ${p.noPages.names.join(', ')}: ${p.noPages.why}` : ''}`);
}
