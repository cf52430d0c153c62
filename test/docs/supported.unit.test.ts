/** docs/SUPPORTED.md must say what the code does: regenerate in memory and compare. */
import fs from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { referenceHost, renderSupported } from '../../src/docs/supported.js';
import { TableRegistry } from '../../src/tables/registry.js';

describe('docs/SUPPORTED.md', () => {
  it('is what `npm run gen:docs` prints from the registry and tables', () => {
    const registry = new TableRegistry();
    const committed = fs.readFileSync(new URL('../../docs/SUPPORTED.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderSupported(registry, referenceHost()));
  });

  it('depends on no fact of the machine it is rendered on', () => {
    const text = renderSupported(new TableRegistry(), referenceHost());
    expect(text).not.toContain(os.release());
  });
});
