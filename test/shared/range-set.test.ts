import { describe, expect, it } from 'vitest';
import { RangeSet } from '../../shared/range-set.js';

describe('RangeSet', () => {
  it('merges touching and overlapping ranges', () => {
    const s = new RangeSet();
    s.add(10, 20);
    s.add(30, 40);
    s.add(20, 25);
    expect(s.toArray()).toEqual([
      { start: 10, end: 25 },
      { start: 30, end: 40 },
    ]);
    s.add(5, 35);
    expect(s.toArray()).toEqual([{ start: 5, end: 40 }]);
    expect(s.size).toBe(35);
  });

  it('removes the middle of a range and splits it', () => {
    const s = RangeSet.from([{ start: 0, end: 100 }]);
    s.remove(40, 60);
    expect(s.toArray()).toEqual([
      { start: 0, end: 40 },
      { start: 60, end: 100 },
    ]);
    s.remove(0, 50);
    expect(s.toArray()).toEqual([{ start: 60, end: 100 }]);
    s.remove(90, 200);
    expect(s.toArray()).toEqual([{ start: 60, end: 90 }]);
  });

  it('answers coverage, intersection and gaps', () => {
    const s = RangeSet.from([
      { start: 0, end: 10 },
      { start: 20, end: 30 },
    ]);
    expect(s.covers(2, 8)).toBe(true);
    expect(s.covers(5, 25)).toBe(false);
    expect(s.intersects(10, 20)).toBe(false);
    expect(s.intersects(10, 21)).toBe(true);
    expect([...s.gaps(0, 40)]).toEqual([
      { start: 10, end: 20 },
      { start: 30, end: 40 },
    ]);
    expect([...s.within(5, 25)]).toEqual([
      { start: 5, end: 10 },
      { start: 20, end: 25 },
    ]);
  });

  it('agrees with a byte map under random operations', () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const s = new RangeSet();
    const map = new Uint8Array(300);
    for (let k = 0; k < 2000; k++) {
      const a = rnd(300);
      const b = a + rnd(40);
      if (rnd(2)) {
        s.add(a, b);
        map.fill(1, a, Math.min(b, 300));
      } else {
        s.remove(a, b);
        map.fill(0, a, Math.min(b, 300));
      }
    }
    const fromMap = new RangeSet();
    map.forEach((v, i) => v && fromMap.add(i, i + 1));
    expect(s.toArray().filter((r) => r.start < 300).map((r) => ({ start: r.start, end: Math.min(r.end, 300) }))).toEqual(fromMap.toArray());
  });
});
