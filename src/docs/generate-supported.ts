/** `npm run gen:docs`: write docs/SUPPORTED.md from the registry and tables. */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TableRegistry } from '../tables/registry.js';
import { referenceHost, renderSupported } from './supported.js';

const registry = new TableRegistry();
const out = fileURLToPath(new URL('../../docs/SUPPORTED.md', import.meta.url));
fs.writeFileSync(out, renderSupported(registry, referenceHost()));
process.stdout.write(`wrote ${out}\n`);
