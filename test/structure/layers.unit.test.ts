/**
 * No folder of src/ imports from a layer above it (layers.ts). The imports that
 * still do are listed in cases/upward-imports.json, each with the move that
 * removes it; the list may only shrink: a new upward import fails here, and so
 * does a listed one that is gone (delete its row).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf, resolveLocal, tsFilesUnder } from '../helpers/imports.js';
import { LAYERS, layerOf } from './layers.js';

const SRC = path.resolve(import.meta.dirname, '..', '..', 'src');
const known = JSON.parse(fs.readFileSync(new URL('./cases/upward-imports.json', import.meta.url), 'utf8')) as {
  rows: { from: string; to: string; fix: string }[];
};

function folderOf(rel: string): string {
  const [first, ...rest] = rel.split('/');
  return rest.length > 0 ? first! : first!.replace(/\.ts$/, '');
}

/** Every import from a lower layer to a higher one, as `from -> to` paths relative to src/. */
function upwardImports(): string[] {
  const out: string[] = [];
  for (const file of tsFilesUnder(SRC)) {
    const from = path.relative(SRC, file);
    for (const spec of importsOf(fs.readFileSync(file, 'utf8'))) {
      const target = resolveLocal(file, spec);
      if (target === undefined) continue;
      const to = path.relative(SRC, target);
      const [a, b] = [layerOf(folderOf(from)), layerOf(folderOf(to))];
      if (a !== undefined && b !== undefined && b < a) out.push(`${from} -> ${to}`);
    }
  }
  return [...new Set(out)].sort();
}

describe('layers', () => {
  it('name every folder of src/', () => {
    const folders = fs.readdirSync(SRC).map((f) => f.replace(/\.ts$/, ''));
    expect(folders.filter((f) => layerOf(f) === undefined)).toEqual([]);
    expect(LAYERS.flatMap((l) => l.folders).filter((f) => !folders.includes(f))).toEqual([]);
  });

  it('no folder imports from a layer above it, beyond the listed ones still to move', () => {
    const listed = known.rows.map((r) => `${r.from} -> ${r.to}`).sort();
    expect(upwardImports()).toEqual(listed);
  });

  it('docs/ and persona/ do not import the oracle (a development tool)', () => {
    const bad = upwardImports().concat(
      tsFilesUnder(SRC)
        .filter((f) => /^(docs|persona)\//.test(path.relative(SRC, f)))
        .flatMap((f) => importsOf(fs.readFileSync(f, 'utf8')).filter((s) => resolveLocal(f, s)?.includes(`${path.sep}oracle${path.sep}`)).map((s) => `${path.relative(SRC, f)} -> ${s}`)),
    );
    expect(bad.filter((e) => / -> .*oracle\//.test(e))).toEqual([]);
  });
});
