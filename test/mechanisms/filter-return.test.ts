/**
 * Each mechanism's filter is the same plan with a different return for
 * `notify`: replayed through the BPF emulator for two personas, every number
 * gets the same verdict as under notify except that USER_NOTIF becomes the
 * mechanism's own action.
 */
import { describe, expect, it } from 'vitest';
import { AUDIT_ARCH } from '../../src/arch.js';
import { compilePlan } from '../../src/bpf/compile.js';
import { emulate } from '../../src/bpf/emulate.js';
import { SECCOMP_RET } from '../../src/bpf/insn.js';
import { probeHost } from '../../src/host/probe.js';
import { resolvePersona } from '../../src/persona/resolve.js';
import { planFor } from '../../src/plan/for-persona.js';
import { TableRegistry } from '../../src/tables/registry.js';
import { MECHANISMS } from '../../src/mechanisms/registry.js';

const registry = new TableRegistry();
const host = probeHost({ registry });

describe.each(['2.6.32', '5.4'])('persona %s', (kernel) => {
  const plan = planFor(resolvePersona(kernel, registry), registry, host);
  const reference = compilePlan(plan).insns;
  it.each(Object.values(MECHANISMS).map((m) => [m.id, m.notifyReturn] as const))('%s: notify returns %i, every other verdict unchanged', (_id, ret) => {
    const insns = compilePlan(plan, { notifyReturn: ret }).insns;
    let routed = 0;
    for (const arch of [AUDIT_ARCH.x86_64, AUDIT_ARCH.ia32]) {
      for (let nr = 0; nr < 600; nr++) {
        const want = emulate(reference, { nr, arch }).value;
        const got = emulate(insns, { nr, arch }).value;
        if (want === SECCOMP_RET.USER_NOTIF) {
          routed++;
          expect(got, `${arch} nr ${nr}`).toBe(ret);
        } else expect(got, `${arch} nr ${nr}`).toBe(want);
      }
    }
    expect(routed).toBeGreaterThan(0);
  });
});
