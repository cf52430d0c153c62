import { describe, expect, it } from 'vitest';
import { insmodLines, kernelDebFile, loadOrder, modinfoDepends, moduleName } from '../../src/oracle/kernel-modules.js';

/** A module image's tail as the kernel's build writes .modinfo: KEY=VALUE strings, NUL-separated. */
function image(...modinfo: string[]): Buffer {
  return Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0]), Buffer.from(modinfo.map((s) => `${s}\0`).join(''))]);
}

describe('moduleName', () => {
  const cases: [string, string][] = [
    ['kernel/net/netfilter/nf_tables.ko', 'nf_tables'],
    ['kernel/crypto/crc32c_generic.ko.xz', 'crc32c_generic'],
    ['kernel/lib/lib-crc32c.ko', 'lib_crc32c'],
  ];
  it.each(cases)('%s is %s', (file, name) => expect(moduleName(file)).toBe(name));
});

describe('modinfoDepends', () => {
  const cases: { why: string; modinfo: string[]; deps: string[] }[] = [
    { why: 'two dependencies', modinfo: ['license=GPL', 'depends=nfnetlink,libcrc32c', 'intree=Y'], deps: ['nfnetlink', 'libcrc32c'] },
    { why: 'an empty depends=', modinfo: ['license=GPL', 'depends=', 'intree=Y'], deps: [] },
    { why: 'no depends= at all', modinfo: ['license=GPL'], deps: [] },
    { why: 'dashes spelled as underscores', modinfo: ['depends=crc32c-generic'], deps: ['crc32c_generic'] },
  ];
  it.each(cases)('$why', ({ modinfo, deps }) => expect(modinfoDepends(image(...modinfo))).toEqual(deps));
});

describe('loadOrder', () => {
  const graph: Record<string, string[]> = { nf_tables: ['nfnetlink', 'libcrc32c'], libcrc32c: [], nfnetlink: [], crc32c_generic: [] };
  const depsOf = (n: string) => graph[n];
  const cases: { wanted: string[]; order: string[] }[] = [
    { wanted: ['nf_tables'], order: ['nfnetlink', 'libcrc32c', 'nf_tables'] },
    { wanted: ['crc32c_generic', 'nf_tables'], order: ['crc32c_generic', 'nfnetlink', 'libcrc32c', 'nf_tables'] },
    { wanted: ['nfnetlink', 'nf_tables'], order: ['nfnetlink', 'libcrc32c', 'nf_tables'] },
  ];
  it.each(cases)('$wanted loads as $order', ({ wanted, order }) => expect(loadOrder(depsOf, wanted)).toEqual(order));
  it('names a module the package lacks', () => expect(() => loadOrder(depsOf, ['nft_nat'])).toThrow(/no module nft_nat/));
});

describe('kernelDebFile', () => {
  const debs = ['linux-image-6.1.0-57-amd64_6.1.192-3_amd64.deb', 'linux-image-6.1.0-56-amd64_6.1.190-1_amd64.deb', 'busybox_1.36_amd64.deb'];
  const cases: { pkg: string; version: string; file: string | undefined }[] = [
    { pkg: 'linux-image-6.1.0-57-amd64', version: '6.1.192-3', file: debs[0] },
    { pkg: 'linux-image-6.1.0-57-amd64', version: '1:6.1.192-3', file: debs[0] },
    { pkg: 'linux-image-6.1.0-57-amd64', version: '6.1.192-4', file: undefined },
  ];
  it.each(cases)('$pkg $version → $file', ({ pkg, version, file }) => expect(kernelDebFile(debs, pkg, version)).toBe(file));
});

describe('insmodLines', () => {
  it('loads each file from /payload in the order given', () => {
    expect(insmodLines(['vsock.ko', 'nfnetlink.ko'])).toEqual(['insmod /payload/vsock.ko', 'insmod /payload/nfnetlink.ko']);
  });
});
