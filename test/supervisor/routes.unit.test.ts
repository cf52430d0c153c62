/** The route table every delivery reads: built once from the plan's routes and the handlers (cases/routes.json). */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_ARCH, type Arch } from '../../src/arch.js';
import type { Handler } from '../../src/handlers/types.js';
import { NativeKind, type NativeKindName } from '../../src/native/addon-types.js';
import { RouteTable } from '../../src/supervisor/routes.js';
import type { RouteSpec } from '../../src/supervisor/worker-protocol.js';

interface Row {
  name: string;
  verdicts: boolean;
  routes: Omit<RouteSpec, 'args'>[];
  native: Partial<Record<Arch, number[]>>;
  handlerOnly: string[];
}
const cases = JSON.parse(fs.readFileSync(new URL('./cases/routes.json', import.meta.url), 'utf8')) as {
  handlers: Record<string, NativeKindName | null>;
  rows: Row[];
};

const handlers = new Map<string, Handler>(
  Object.entries(cases.handlers).map(([id, kind]) => [id, {
    id,
    handle: () => ({ kind: 'continue' }),
    ...(kind === null ? {} : { native: () => ({ kind: NativeKind[kind], errno: 38, arg: 1, names: ['version'] }) }),
  }]),
);
const ctx = { persona: {} as never };
const specs = (r: Row): RouteSpec[] => r.routes.map((s) => ({ ...s, args: ['int fd'] }));

describe('RouteTable', () => {
  it.each(cases.rows.map((r) => [r.name, r] as const))('%s', (_, row) => {
    const table = new RouteTable(specs(row), handlers, ctx, { verdicts: row.verdicts });
    expect(table.size).toBe(row.routes.length);
    for (const s of row.routes) {
      expect(table.get(s.arch, s.nr)).toMatchObject({ name: s.name, handler: { id: s.handler }, args: ['int fd'] });
    }
    const native = Object.fromEntries([...table.nativeActions()].map(([audit, actions]) => [audit, actions.map((a) => a.nr).sort((a, b) => a - b)]));
    const want = Object.fromEntries(Object.entries(row.native).map(([arch, nrs]) => [AUDIT_ARCH[arch as Arch], nrs]));
    expect(native).toEqual(want);
    expect(table.handlerOnly.map((r) => `${r.arch}:${r.name}`)).toEqual(row.handlerOnly);
  });

  it('finds nothing for an arch it cannot name or a number it does not route', () => {
    const table = new RouteTable(specs(cases.rows[0]!), handlers, ctx, { verdicts: true });
    expect(table.get(undefined, 63)).toBeUndefined();
    expect(table.get('x86_64', 64)).toBeUndefined();
  });

  it('refuses a plan naming a handler the registry lacks', () => {
    expect(() => new RouteTable([{ arch: 'x86_64', nr: 1, name: 'write', handler: 'nowhere', args: [] }], handlers, ctx, { verdicts: true }))
      .toThrow(/handler nowhere, which the registry lacks/);
  });

  it('a number whose rules name two handlers gets no up-front verdict, and each call goes to the handler its arguments match', () => {
    const answering = (id: string, val: bigint): Handler => ({ id, handle: () => ({ kind: 'return', val }), native: () => ({ kind: NativeKind.continue }) });
    const two = new Map<string, Handler>([['strict-mode', answering('strict-mode', 1n)], ['yama-ptracer', answering('yama-ptracer', 2n)]]);
    const table = new RouteTable([{
      arch: 'x86_64', nr: 157, name: 'prctl', handler: 'strict-mode', args: [],
      byArgs: [
        { arg: 0, match: { kind: 'in', values: [22] }, when: { arg: 1, equals: 1 }, handler: 'strict-mode' },
        { arg: 0, match: { kind: 'in', values: [0x59616d61] }, handler: 'yama-ptracer' },
      ],
    }], two, ctx, { verdicts: true });
    const route = table.get('x86_64', 157)!;
    expect(route.verdict).toBeUndefined();
    const answer = (args: bigint[]) => route.handler.handle({ arch: 'x86_64', nr: 157, name: 'prctl', pid: 1, args, mem: {} as never, stillValid: () => true }, ctx);
    expect(answer([22n, 1n])).toEqual({ kind: 'return', val: 1n });
    expect(answer([0x59616d61n, 0n])).toEqual({ kind: 'return', val: 2n });
    expect(answer([22n, 2n])).toEqual({ kind: 'return', val: 1n });
  });
});

describe('RouteTable: a shared number with a handler whose verdict defers the rest', () => {
  // strict-mode's enterStrict answers strict requests in C and defers every other prctl (yama-ptracer's)
  // to TypeScript: the route keeps it, so entering strict mode starts no worker on a host without Yama.
  const shared: RouteSpec = {
    arch: 'x86_64', nr: 157, name: 'prctl', handler: 'strict-mode', args: [],
    byArgs: [
      { arg: 0, match: { kind: 'in', values: [22] }, when: { arg: 1, equals: 1 }, handler: 'strict-mode' },
      { arg: 0, match: { kind: 'in', values: [0x59616d61] }, handler: 'yama-ptracer' },
    ],
  };
  const handlersWith = (defers: boolean) =>
    new Map<string, Handler>([
      ['strict-mode', { id: 'strict-mode', handle: () => ({ kind: 'continue' }), native: () => ({ kind: NativeKind.enterStrict, arg: 0, helper: '/x' }), ...(defers ? { nativeDefers: true } : {}) }],
      ['yama-ptracer', { id: 'yama-ptracer', handle: () => ({ kind: 'return', val: 0n }) }],
    ]);

  it.each([
    { defers: true, verdict: NativeKind.enterStrict },
    { defers: false, verdict: undefined },
  ])('nativeDefers $defers: verdict $verdict', ({ defers, verdict }) => {
    const route = new RouteTable([shared], handlersWith(defers), ctx, { verdicts: true }).get('x86_64', 157)!;
    expect(route.verdict?.kind).toBe(verdict);
  });

  it('no verdicts asked (--trace): none', () => {
    expect(new RouteTable([shared], handlersWith(true), ctx, { verdicts: false }).get('x86_64', 157)!.verdict).toBeUndefined();
  });
});
