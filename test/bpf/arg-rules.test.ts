/**
 * Argument rules, from the real tables to BPF: verdicts as data (cases/arg-rules.json) through
 * the emulator, then the `kernel: true` rows on the real kernel under `cr-shim run`. And the
 * action cache: a number without rules stays provably allowed, a number with rules does not.
 */
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_ARCH, type Arch } from '../../src/arch.js';
import { cacheProvesAllow } from '../../src/bpf/cache.js';
import { compilePlan } from '../../src/bpf/compile.js';
import { emulate } from '../../src/bpf/emulate.js';
import type { Program } from '../../src/bpf/insn.js';
import { computePlan } from '../../src/plan/compute.js';
import { ruleMatches } from '../../src/plan/arg-rules.js';
import type { Plan } from '../../src/plan/types.js';
import { errnoName } from '../../src/native/errno.js';
import { TableRegistry } from '../../src/tables/registry.js';
import { parseOutput } from '../helpers/parse-output.js';
import { programPath } from '../helpers/programs.js';
import { requireShimBuilt } from '../helpers/require-build.js';
import { runCli } from '../helpers/run-cli.js';
import { describeResult, runProcess } from '../helpers/run-process.js';

interface Row { arch?: Arch; persona: string; syscall: string; args: string[]; hostLacks?: string[]; expect: string; kernel: boolean; why: string }
const file = JSON.parse(fs.readFileSync(new URL('./cases/arg-rules.json', import.meta.url), 'utf8')) as { rows: Row[] };
const rows = file.rows.map((r) => ({ ...r, arch: r.arch ?? 'x86_64' }));

const registry = new TableRegistry();
// The host build's gaps do not matter to argument rules: none of these calls is among them.
const plans = new Map<string, { plan: Plan; program: Program }>();
function compiled(persona: string, arch: Arch = 'x86_64', hostLacks: readonly string[] = []): { plan: Plan; program: Program } {
  const key = `${arch} ${persona} ${hostLacks.join(',')}`;
  let hit = plans.get(key);
  if (!hit) {
    const argTable = registry.argTable(arch);
    const plan = computePlan(persona, [{
      arch, persona: registry.get(arch, persona), host: registry.get(arch, '6.18'), hostMissing: new Set(), hostLacks: new Set(hostLacks),
      ...(argTable ? { argTable } : {}),
    }]);
    hit = { plan, program: compilePlan(plan) };
    plans.set(key, hit);
  }
  return hit;
}
const nrOf = (name: string, arch: Arch = 'x86_64'): number => registry.indexed(arch, '6.18').byName.get(name)!.nr;

function verdictName(persona: string, row: Row): string {
  const arch = row.arch ?? 'x86_64';
  const { plan, program } = compiled(persona, arch, row.hostLacks);
  const nr = nrOf(row.syscall, arch);
  const v = emulate(program.insns, { nr, arch: AUDIT_ARCH[arch], args: row.args.map((a) => BigInt(a)) });
  if (v.action === 'ALLOW') return 'allow';
  if (v.action === 'ERRNO') return errnoName(v.data);
  if (v.action === 'USER_NOTIF') {
    const e = plan.arches[0]!.entries.find((x) => x.nr === nr)!;
    const args = row.args.map((a) => BigInt(a));
    const h = e.action.kind === 'notify' ? e.action.handler : e.argRules?.find((r) => ruleMatches(r, args))?.action;
    return `handler:${typeof h === 'string' ? h : h && 'handler' in h ? h.handler : '?'}`;
  }
  return v.action;
}

describe('argument rules through the emulator (cases/arg-rules.json)', () => {
  it.each(rows)('$arch $persona $syscall($args) → $expect ($why)', (row) => {
    expect(verdictName(row.persona, row)).toBe(row.expect);
  });

  it('keeps the action cache for every allowed number without rules, and only the ruled numbers load arguments', () => {
    const { plan, program } = compiled('4.19');
    const entries = plan.arches[0]!.entries;
    const ruled = entries.filter((e) => e.argRules?.length).map((e) => e.name).sort();
    expect(ruled).toEqual(expect.arrayContaining(['getrandom', 'prctl', 'setsockopt']));
    for (const e of entries) {
      const proven = cacheProvesAllow(program.insns, AUDIT_ARCH.x86_64, e.nr);
      expect(proven, e.name).toBe(e.action.kind === 'allow' && !e.argRules?.length);
    }
  });

  it('a persona equal to the host gets no argument rule but the strict-mode traps (the host answers itself)', () => {
    const plan = computePlan('6.18', [{
      arch: 'x86_64', persona: registry.get('x86_64', '6.18'), host: registry.get('x86_64', '6.18'), hostMissing: new Set(),
      argTable: registry.argTable('x86_64')!, sameKernel: true,
    }]);
    const ruled = plan.arches[0]!.entries.filter((e) => e.argRules);
    expect(ruled.map((e) => e.name)).toEqual(['prctl', 'seccomp']);
    for (const e of ruled) expect(e.argRules!.map((r) => r.action)).toEqual([{ kind: 'notify', handler: 'strict-mode' }]);
  });
});

describe('argument rules on the real kernel (cr-shim run --kernel)', () => {
  beforeAll(() => requireShimBuilt());
  const kernelRows = rows.filter((r) => r.kernel);

  it('runs only x86_64 rows: the syscall program is x86_64 (ia32 rows are emulator-only, this host has ia32 emulation off)', () => {
    expect(kernelRows.filter((r) => r.arch !== 'x86_64')).toEqual([]);
  });

  it.each(kernelRows)('$persona $syscall($args) → $expect ($why)', async (row) => {
    const argv = [String(nrOf(row.syscall)), ...row.args];
    const shim = await runCli(['run', '--kernel', row.persona, '--', programPath('syscall'), ...argv]);
    expect(shim.status, describeResult(shim)).toBe(0);
    const got = parseOutput(shim.stdout);
    if (row.expect === 'allow') {
      const native = parseOutput((await runProcess(programPath('syscall'), argv)).stdout);
      expect([got.get('ret'), got.get('errname')]).toEqual([native.get('ret'), native.get('errname')]);
    } else {
      expect(got.get('errname')).toBe(row.expect);
    }
  });
});
