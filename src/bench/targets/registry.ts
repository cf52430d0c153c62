/** Every target, in the order the tables show them (the baseline first). */
import { bpfNoCache, bpfOnly } from './bpf-only.js';
import { cSupervisor, cSupervisorPoll } from './c-supervisor.js';
import { notify, ptrace, sigsys } from './cr-shim.js';
import { native } from './native.js';
import { nodeOnly } from './node.js';
import { proot, runsc } from './user-space-kernels.js';
import type { Target } from '../types.js';

export const TARGETS: readonly Target[] = [native, bpfOnly, bpfNoCache, cSupervisor, cSupervisorPoll, nodeOnly, notify, ptrace, sigsys, proot, runsc];
