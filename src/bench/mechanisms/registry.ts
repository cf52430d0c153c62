/** Every mechanism, in the order the tables show them (the baseline first). */
import { bpfNoCache, bpfOnly } from './bpf-only.js';
import { cSupervisor, cSupervisorPoll } from './c-supervisor.js';
import { crShim } from './cr-shim.js';
import { native } from './native.js';
import type { Mechanism } from '../types.js';

export const MECHANISMS: readonly Mechanism[] = [native, bpfOnly, bpfNoCache, cSupervisor, cSupervisorPoll, crShim];
