/** The framing of CRIU image files: HEAD and size-prefixed entries, and its refusals. */
import { describe, expect, it } from 'vitest';
import { ImageError } from '../../src/criu/image/image-error.js';
import { parseImage, serializeImage } from '../../src/criu/image/image-file.js';

const u32 = (...v: number[]) => Buffer.concat(v.map((x) => { const b = Buffer.alloc(4); b.writeUInt32LE(x >>> 0); return b; }));

describe('image framing', () => {
  it('inventory.img has one magic, every other image the common magic then its own', () => {
    expect(serializeImage({ kind: 'inventory', entries: [] }).toString('hex')).toBe('16313158');
    expect(serializeImage({ kind: 'seccomp', entries: [Buffer.alloc(0)] }).toString('hex')).toBe('194356544930416400000000');
    expect(serializeImage({ kind: 'stats', entries: [] }).toString('hex')).toBe('4059105506330957');
  });

  it('entries come back as they went in', () => {
    const entries = [Buffer.from('0801', 'hex'), Buffer.alloc(0), Buffer.from('hello')];
    const bytes = serializeImage({ kind: 'pstree', entries });
    const img = parseImage(bytes, 'pstree', 'pstree.img');
    expect(img.entries.map((e) => e.toString('hex'))).toEqual(entries.map((e) => e.toString('hex')));
    expect(serializeImage(img).equals(bytes)).toBe(true);
  });

  it.each([
    ['shorter than its head', Buffer.from('1943', 'hex'), 'too short'],
    ['a pstree image read as core', serializeImage({ kind: 'pstree', entries: [] }), 'magic 0x50273030 at byte 4, expected 0x55053847'],
    ['a service file where a common image belongs', u32(0x55105940, 0x55053847), 'magic 0x55105940 at byte 0'],
    ['a size field cut short', Buffer.concat([u32(0x54564319, 0x55053847), Buffer.from('0500', 'hex')]), 'size field cut short'],
    ['an entry longer than the file', Buffer.concat([u32(0x54564319, 0x55053847, 10), Buffer.from('0801', 'hex')]), '10 bytes announced, 2 present'],
  ])('refuses %s', (_what, bytes, message) => {
    let err: unknown;
    try {
      parseImage(bytes, 'core', '/img/core-1.img');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImageError);
    expect((err as ImageError).code).toBe('EIMAGE');
    expect((err as ImageError).message).toContain('/img/core-1.img');
    expect((err as ImageError).message).toContain(message);
    expect((err as ImageError).hint).toMatch(/cr-shim dump/);
  });
});
