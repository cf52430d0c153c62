// Which kernel a restore presents: verdicts as data (cases/kernel-choice.json).
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/criu/manifest.js';
import { chooseKernel, type KernelChoice } from '../../src/restore/source-kernel.js';
import { mainlineOf } from '../../src/tables/release.js';

interface Case {
  why: string;
  flag?: string;
  manifest?: { persona?: string; kernel: string };
  expect: KernelChoice;
}

const cases = JSON.parse(fs.readFileSync(new URL('./cases/kernel-choice.json', import.meta.url), 'utf8')) as Case[];

function manifest(m: Case['manifest']): Manifest | undefined {
  if (m === undefined) return undefined;
  return {
    schema: 1,
    kernel: { release: m.kernel, version: '#1', mainline: mainlineOf(m.kernel) },
    arch: 'x86_64',
    ...(m.persona ? { persona: { release: m.persona, mainline: mainlineOf(m.persona) } } : {}),
    crShim: { version: '0.1.0' },
    criu: { version: '4.1.1' },
    time: '2026-01-01T00:00:00Z',
  };
}

describe('chooseKernel', () => {
  it.each(cases)('$why', (c) => {
    expect(chooseKernel(c.flag, manifest(c.manifest), '6.18.44-host', 'IMG')).toEqual(c.expect);
  });
});
