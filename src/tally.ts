/** How many of something each key holds (connections per address, sessions per user); a key at 0 is forgotten. */
export class Tally {
  private readonly counts = new Map<string, number>();

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  add(key: string): void {
    this.counts.set(key, this.count(key) + 1);
  }

  /** Each key held, with its count. */
  entries(): IterableIterator<[string, number]> {
    return this.counts.entries();
  }

  remove(key: string): void {
    const left = this.count(key) - 1;
    if (left > 0) this.counts.set(key, left);
    else this.counts.delete(key);
  }
}
