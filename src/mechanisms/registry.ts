/** Every mechanism by id, for `run --mechanism` and `bench`. */
import { UsageError } from '../errors.js';
import { notifyMechanism } from './notify.js';
import { ptraceMechanism } from './ptrace.js';
import { sigsysMechanism } from './sigsys.js';
import { MECHANISM_IDS, type Mechanism, type MechanismId } from './types.js';

export const MECHANISMS: Readonly<Record<MechanismId, Mechanism>> = {
  notify: notifyMechanism,
  ptrace: ptraceMechanism,
  sigsys: sigsysMechanism,
};

/** The mechanism named on the command line. Throws UsageError listing the known ones. */
export function mechanismById(id: string): Mechanism {
  const m = (MECHANISMS as Record<string, Mechanism | undefined>)[id];
  if (m === undefined) {
    throw new UsageError('--mechanism', `unknown mechanism ${id}`, { code: 'EUSAGE', hint: `use one of ${MECHANISM_IDS.join(', ')}` });
  }
  return m;
}
