/**
 * The native verdict kinds are defined once for C (native/native-verdict.h)
 * and once for TypeScript (NativeKind): the same names, the same values.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NativeKind } from '../../src/native/addon-types.js';

/** enum native_kind's members as { NK_NAME: value }. */
function headerKinds(): Record<string, number> {
  const text = fs.readFileSync(new URL('../../native/native-verdict.h', import.meta.url), 'utf8');
  const body = /enum native_kind \{([^}]*)\}/.exec(text)?.[1];
  if (body === undefined) throw new Error('native-verdict.h: no enum native_kind');
  return Object.fromEntries([...body.matchAll(/(NK_[A-Z0-9_]+)\s*=\s*(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

/** writeArg → NK_WRITE_ARG. */
const cName = (ts: string): string => `NK_${ts.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

describe('native verdict kinds', () => {
  it('native-verdict.h and NativeKind name the same kinds with the same values', () => {
    const fromTs = Object.fromEntries(Object.entries(NativeKind).map(([k, v]) => [cName(k), v]));
    expect(headerKinds()).toEqual(fromTs);
  });

  it('neither C interpreter defines kinds of its own beside the header', () => {
    for (const file of ['notify-core.c', 'notify-loop.c', 'sigsys-preload.c']) {
      const text = fs.readFileSync(new URL(`../../native/${file}`, import.meta.url), 'utf8');
      expect(text, file).toContain('#include "native-verdict.h"');
      expect(text, file).not.toMatch(/\bNK_[A-Z_]+\s*=/);
    }
  });
});
