/** docs/BEHAVIOUR.md must say what the code does: regenerate in memory and compare. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderBehaviour } from '../../src/docs/behaviour.js';
import { BEHAVIOURS } from '../../src/handlers/behaviours.js';
import { handlerIds, makeHandlers } from '../../src/handlers/registry.js';
import { loadSysctlLookup } from '../../src/handlers/sysctl-table.js';
import { TableRegistry } from '../../src/tables/registry.js';

describe('docs/BEHAVIOUR.md', () => {
  it('is what `npm run gen:docs` prints from the catalogue and the argument tables', () => {
    const committed = fs.readFileSync(new URL('../../docs/BEHAVIOUR.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderBehaviour(new TableRegistry().argTable('x86_64')));
  });

  it('names every catalogue row, and every handler a row traps to exists', () => {
    const text = renderBehaviour(new TableRegistry().argTable('x86_64'));
    for (const b of BEHAVIOURS) expect(text).toContain(`Row \`${b.id}\``);
    const handlers = makeHandlers(loadSysctlLookup());
    for (const id of handlerIds()) expect(handlers.has(id), id).toBe(true);
  });
});
