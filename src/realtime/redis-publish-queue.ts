/** One publication waiting for Redis: a Delivery's JSON, or how many were dropped in its place. */
export interface QueuedPublication {
  seq: number;
  field: 'd' | 'x';
  value: string;
  /** Sent at least once: Redis may hold it already, so it is never changed or dropped. */
  sent: boolean;
}

/**
 * A node's publications not yet acknowledged by Redis, oldest first, at most `maxEntries`. Beyond
 * that the oldest publication never sent becomes a marker counting the publications dropped (the
 * marker keeps its place and sequence number, so order and the script's duplicate check hold), and
 * the next ones dropped are added to its count. A publication sent but not acknowledged is kept as
 * it is: Redis may have added it, and it will be sent again as it was (so while a batch is in
 * flight the queue may exceed its bound by that batch).
 */
export class PublishQueue {
  private readonly entries: QueuedPublication[] = [];
  private nextSeq = 1;
  private droppedTotal = 0;

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.length;
  }

  /** Publications dropped since the start. */
  get dropped(): number {
    return this.droppedTotal;
  }

  push(deliveryJson: string): void {
    this.entries.push({ seq: this.nextSeq++, field: 'd', value: deliveryJson, sent: false });
    while (this.entries.length > this.maxEntries) {
      const first = this.entries.findIndex((entry) => !entry.sent);
      const oldest = this.entries[first];
      if (!oldest) return;
      if (oldest.field === 'd') {
        this.entries[first] = { seq: oldest.seq, field: 'x', value: '1', sent: false };
      } else {
        if (first + 1 >= this.entries.length) return;
        this.entries.splice(first + 1, 1);
        oldest.value = String(Number(oldest.value) + 1);
      }
      this.droppedTotal++;
    }
  }

  /** The oldest `count` publications, marked sent. */
  take(count: number): QueuedPublication[] {
    const batch = this.entries.slice(0, count);
    for (const entry of batch) entry.sent = true;
    return batch;
  }

  /** Redis added (or already held) the oldest `count`. */
  acknowledge(count: number): void {
    this.entries.splice(0, count);
  }
}
