/** The registry is data: every row must name a real syscall and a real handler. */
import { describe, expect, it } from 'vitest';
import { EMULATIONS, handlerIds, makeHandlers } from '../../src/handlers/registry.js';
import { errno } from '../../src/native/errno.js';
import { TableRegistry } from '../../src/tables/registry.js';

const registry = new TableRegistry();

describe('handler registry', () => {
  it('names only handlers that exist', () => {
    const handlers = makeHandlers(() => undefined);
    for (const id of handlerIds()) expect(handlers.has(id), id).toBe(true);
  });

  it('names only syscalls that some x86_64 or ia32 table knows', () => {
    const known = new Set<string>();
    for (const arch of ['x86_64', 'ia32'] as const) {
      for (const rel of [registry.releases(arch)[0]!, '3.0', '5.4', '6.18']) for (const e of registry.get(arch, rel).syscalls) known.add(e.name);
    }
    for (const name of Object.keys(EMULATIONS)) expect(known.has(name), name).toBe(true);
  });

  it('uses only errno names this host knows, with a note and a support level on every row', () => {
    for (const [name, rows] of Object.entries(EMULATIONS)) {
      for (const r of rows) {
        if ('errno' in r) expect(() => errno(r.errno), `${name}: ${r.errno}`).not.toThrow();
        expect(r.note.length, name).toBeGreaterThan(10);
        expect(['full', 'partial', 'unsupported']).toContain(r.support);
      }
    }
  });
});
