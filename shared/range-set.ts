/** A half-open byte range [start, end). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * A set of disjoint, sorted, coalesced half-open ranges. Used for the allocation map of simulated
 * images and for the journal of completed download ranges. Operations are O(log n + k).
 */
export class RangeSet {
  private starts: number[] = [];
  private ends: number[] = [];

  /** Builds a set from any ranges (overlapping or unsorted). */
  static from(ranges: Iterable<ByteRange>): RangeSet {
    const set = new RangeSet();
    for (const r of ranges) set.add(r.start, r.end);
    return set;
  }

  /** Number of disjoint ranges. */
  get count(): number {
    return this.starts.length;
  }

  /** Total bytes covered. */
  get size(): number {
    let total = 0;
    for (let i = 0; i < this.starts.length; i++) total += this.ends[i]! - this.starts[i]!;
    return total;
  }

  /** Index of the first range whose end is >= pos. */
  private firstEndingAtOrAfter(pos: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid]! < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds [start, end), merging with touching or overlapping ranges. */
  add(start: number, end: number): void {
    if (end <= start) return;
    const i = this.firstEndingAtOrAfter(start);
    let j = i;
    let newStart = start;
    let newEnd = end;
    while (j < this.starts.length && this.starts[j]! <= end) {
      newStart = Math.min(newStart, this.starts[j]!);
      newEnd = Math.max(newEnd, this.ends[j]!);
      j++;
    }
    this.starts.splice(i, j - i, newStart);
    this.ends.splice(i, j - i, newEnd);
  }

  /** Removes [start, end) from the set, splitting ranges where needed. */
  remove(start: number, end: number): void {
    if (end <= start) return;
    const i = this.firstEndingAtOrAfter(start + 1);
    const newStarts: number[] = [];
    const newEnds: number[] = [];
    let j = i;
    while (j < this.starts.length && this.starts[j]! < end) {
      const s = this.starts[j]!;
      const e = this.ends[j]!;
      if (s < start) {
        newStarts.push(s);
        newEnds.push(start);
      }
      if (e > end) {
        newStarts.push(end);
        newEnds.push(e);
      }
      j++;
    }
    this.starts.splice(i, j - i, ...newStarts);
    this.ends.splice(i, j - i, ...newEnds);
  }

  /** True when every byte of [start, end) is in the set. */
  covers(start: number, end: number): boolean {
    if (end <= start) return true;
    const i = this.firstEndingAtOrAfter(start + 1);
    return i < this.starts.length && this.starts[i]! <= start && this.ends[i]! >= end;
  }

  /** True when any byte of [start, end) is in the set. */
  intersects(start: number, end: number): boolean {
    if (end <= start) return false;
    const i = this.firstEndingAtOrAfter(start + 1);
    return i < this.starts.length && this.starts[i]! < end;
  }

  /** The ranges of the set clipped to [start, end). */
  *within(start: number, end: number): Generator<ByteRange> {
    for (let i = this.firstEndingAtOrAfter(start + 1); i < this.starts.length; i++) {
      const s = this.starts[i]!;
      if (s >= end) return;
      yield { start: Math.max(s, start), end: Math.min(this.ends[i]!, end) };
    }
  }

  /** The gaps of the set inside [start, end). */
  *gaps(start: number, end: number): Generator<ByteRange> {
    let pos = start;
    for (const r of this.within(start, end)) {
      if (r.start > pos) yield { start: pos, end: r.start };
      pos = r.end;
    }
    if (pos < end) yield { start: pos, end };
  }

  /** All ranges, as plain data. */
  toArray(): ByteRange[] {
    return this.starts.map((s, i) => ({ start: s, end: this.ends[i]! }));
  }
}
