import { describe, expect, it } from "vitest";
import { Rng } from "./prng.js";

describe("Rng", () => {
  it("repeats for the same seed and differs for another", () => {
    const draw = (seed: string) => Array.from({ length: 20 }, (_, i) => new Rng(seed).fork(`x/${i}`).int(0, 1e9));
    expect(draw("a")).toEqual(draw("a"));
    expect(draw("a")).not.toEqual(draw("b"));
  });

  it("keeps forks independent of how much the parent has drawn", () => {
    const a = new Rng("s");
    const b = new Rng("s");
    for (let i = 0; i < 100; i++) b.float();
    expect(a.fork("child").float()).toBe(b.fork("child").float());
  });

  it("stays in range and covers it", () => {
    const r = new Rng("range");
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = r.int(3, 7);
      expect(v).toBeGreaterThanOrEqual(3);
      expect(v).toBeLessThanOrEqual(7);
      seen.add(v);
      const f = r.float();
      expect(f >= 0 && f < 1).toBe(true);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
    expect(() => r.int(2, 1)).toThrow(RangeError);
    expect(() => r.pick([])).toThrow(RangeError);
  });

  it("shuffles without losing items and samples distinct items in order", () => {
    const r = new Rng("shuffle");
    const items = Array.from({ length: 50 }, (_, i) => i);
    expect([...r.shuffle(items)].sort((a, b) => a - b)).toEqual(items);
    const s = r.sample(items, 10);
    expect(s).toHaveLength(10);
    expect([...s].sort((a, b) => a - b)).toEqual(s);
  });
});
