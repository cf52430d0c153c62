/**
 * A seeded pseudo-random source for the fuzz tests (mulberry32): the same seed gives the same
 * cases on every machine, so a failure names its seed and case and replays exactly.
 */
export class SeededRandom {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }

  /**
   * `bytes` damaged one way, picked at random: bits flipped, cut short, a run overwritten with
   * random or extreme bytes (0x00, 0xff, 0x80: varint continuation), or random bytes inserted.
   */
  mutate(bytes: Uint8Array): Buffer {
    const b = Buffer.from(bytes);
    switch (this.below(5)) {
      case 0: {
        for (let i = 1 + this.below(8); i > 0 && b.length > 0; i--) b[this.below(b.length)]! ^= 1 << this.below(8);
        return b;
      }
      case 1:
        return b.subarray(0, this.below(b.length + 1));
      case 2: {
        const at = this.below(b.length + 1);
        const run = Buffer.alloc(1 + this.below(16), [0x00, 0xff, 0x80][this.below(3)]!);
        return Buffer.concat([b.subarray(0, at), run, b.subarray(Math.min(b.length, at + run.length))]);
      }
      case 3: {
        for (let i = 1 + this.below(16); i > 0 && b.length > 0; i--) b[this.below(b.length)] = this.below(256);
        return b;
      }
      default: {
        const at = this.below(b.length + 1);
        const extra = Buffer.from(Array.from({ length: 1 + this.below(32) }, () => this.below(256)));
        return Buffer.concat([b.subarray(0, at), extra, b.subarray(at)]);
      }
    }
  }
}
