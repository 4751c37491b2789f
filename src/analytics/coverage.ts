/**
 * The parts of a track a listener heard, as disjoint sorted [start, end) ranges in ms. Completion is
 * measured on this and not on listened time, so that hearing the first minute three times does not
 * complete a three-minute track.
 */
export class Coverage {
  /** start0, end0, start1, end1, … sorted, disjoint and not touching. */
  private bounds: number[] = [];

  /** Parses the JSON kept in the database (`[[start, end], …]`). */
  static fromJson(text: string): Coverage {
    const ranges = JSON.parse(text) as [number, number][];
    const coverage = new Coverage();
    for (const [start, end] of ranges) coverage.add(start, end);
    return coverage;
  }

  add(start: number, end: number): void {
    if (!(end > start)) return;
    const merged: number[] = [];
    let low = start;
    let high = end;
    let placed = false;
    for (let i = 0; i < this.bounds.length; i += 2) {
      const rangeStart = this.bounds[i]!;
      const rangeEnd = this.bounds[i + 1]!;
      if (rangeEnd < low) {
        merged.push(rangeStart, rangeEnd);
      } else if (rangeStart > high) {
        if (!placed) merged.push(low, high);
        placed = true;
        merged.push(rangeStart, rangeEnd);
      } else {
        low = Math.min(low, rangeStart);
        high = Math.max(high, rangeEnd);
      }
    }
    if (!placed) merged.push(low, high);
    this.bounds = merged;
  }

  get totalMs(): number {
    let total = 0;
    for (let i = 0; i < this.bounds.length; i += 2) total += this.bounds[i + 1]! - this.bounds[i]!;
    return total;
  }

  toJson(): string {
    const ranges: [number, number][] = [];
    for (let i = 0; i < this.bounds.length; i += 2) ranges.push([this.bounds[i]!, this.bounds[i + 1]!]);
    return JSON.stringify(ranges);
  }
}
