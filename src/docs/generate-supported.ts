/** `npm run gen:docs`: write docs/SUPPORTED.md and docs/BEHAVIOUR.md from the registries and tables. */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TableRegistry } from '../tables/registry.js';
import { referenceHost, renderSupported } from './supported.js';
import { renderBehaviour } from './behaviour.js';

const registry = new TableRegistry();
const out = fileURLToPath(new URL('../../docs/SUPPORTED.md', import.meta.url));
fs.writeFileSync(out, renderSupported(registry, referenceHost()));
process.stdout.write(`wrote ${out}\n`);
const behaviour = fileURLToPath(new URL('../../docs/BEHAVIOUR.md', import.meta.url));
fs.writeFileSync(behaviour, renderBehaviour(registry.argTable('x86_64')));
process.stdout.write(`wrote ${behaviour}\n`);
