/**
 * The module specifiers a TypeScript file imports: static imports and re-exports
 * (`import … from 'x'`, `import 'x'`, `export … from 'x'`) and dynamic `import('x')`
 * with a literal argument. `import type` counts too: a type is a dependency.
 */
import fs from 'node:fs';
import path from 'node:path';

const STATIC = /^\s*(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

export function importsOf(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(STATIC)) found.push((m[1] ?? m[2])!);
  for (const m of source.matchAll(DYNAMIC)) found.push(m[1]!);
  return found;
}

/** A relative specifier resolved to the .ts file it names (`./x.js` → `/abs/x.ts`); undefined for packages and node: modules. */
export function resolveLocal(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return path.resolve(path.dirname(fromFile), specifier).replace(/\.js$/, '.ts');
}

/** Every .ts file under `dir`, absolute paths, sorted. */
export function tsFilesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f))
    .sort();
}
