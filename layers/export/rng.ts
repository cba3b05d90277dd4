/**
 * A small seeded generator so that random checkpoints (tests, bench, fixtures) are identical on every machine:
 * Math.random cannot be seeded, and byte-identical exports are part of the contract.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    // A zero state would make xorshift emit zeros forever.
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** Uniform in [0, 1). */
  next(): number {
    // xorshift32: fast and good enough for initialising weights; not for cryptography.
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.state = x;
    return x / 4294967296;
  }

  /** Standard normal via Box–Muller. */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  fillNormal(out: Float32Array, std: number, mean = 0): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }
}
