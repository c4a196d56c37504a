/**
 * A tiny seeded PRNG, so that `--seed S` repeats a run exactly. Every request
 * draws from its own stream derived from (seed, index): request i's stay can
 * be recomputed anywhere (a worker process, the audit) without storing it.
 */

/** mulberry32: 32 bits of state, good enough to spread stays, not for secrets. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Mixes a seed and an index into an independent 32-bit stream seed (murmur3 finaliser). */
export function mixSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The random stream of request `index` in a run seeded with `seed`. */
export const streamFor = (seed: number, index: number): (() => number) => mulberry32(mixSeed(seed, index));

/** A whole number in [0, bound) from a stream. */
export const below = (next: () => number, bound: number): number => Math.floor(next() * bound);

/** An exponentially distributed draw with the given mean (inter-arrival gaps of a Poisson process). */
export const exponential = (next: () => number, mean: number): number => -Math.log(1 - next()) * mean;
