import type { Redis } from 'ioredis';
import type { Delivery } from './broker.js';
import type { Gap } from './events-gap.js';
import { whenReady } from './redis-connection.js';
import { parseRecord, sequenceGap, type StreamKeys } from './redis-stream.js';

export interface ReaderOptions {
  readBatch: number;
  readBlockMs: number;
  reconnectMaxMs: number;
}

export interface ReaderSinks {
  /** A publication of another node, in stream order. */
  delivery(delivery: Delivery): void;
  gap(gap: Gap): void;
  log(line: string): void;
}

type XreadReply = [stream: string, entries: [id: string, fields: string[]][]][] | null;

/**
 * Reads the stream on its own connection (XREAD BLOCK holds it) from the last entry this node
 * delivered, so that after a dropped connection it goes on exactly where it stopped: nothing lost,
 * nothing twice, in stream order. Entries this node published are skipped (it delivered them at
 * once). Entry numbers (`n`) show what it could not read: a jump counts the entries trimmed before
 * it read them, a restart of the numbers means Redis lost the stream.
 *
 * After each reconnection it checks its position before reading on: if its last entry is gone and
 * Redis restarted (INFO's run_id changed) or the counter went back, the stream it knew is lost, so
 * it signals the gap at once and reads the new stream from its start, rather than waiting for ids
 * that belonged to the old one. When another server answers with its position kept (a Sentinel
 * failover), it reads on and signals a `failover` gap: the old master may have acknowledged entries
 * it never passed to its replica.
 */
export class StreamReader {
  private lastId = '0-0';
  private lastN = 0;
  private runId = '';
  private checkPosition = false;
  private readonly stop = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: StreamKeys,
    private readonly nodeId: string,
    private readonly options: ReaderOptions,
    private readonly sinks: ReaderSinks,
  ) {
    redis.on('close', () => (this.checkPosition = true));
  }

  /** Starts after the stream's last entry: a node delivers what is published from its start on. */
  async start(): Promise<void> {
    const replies = await this.redis.multi().get(this.keys.counter).xrevrange(this.keys.stream, '+', '-', 'COUNT', 1).info('server').exec();
    const [counter, last, info] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    }) as [string | null, [string, string[]][], string];
    this.lastN = Number(counter ?? 0);
    this.lastId = last[0]?.[0] ?? '0-0';
    this.runId = runIdOf(info);
    this.loop = this.run();
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.redis.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (await whenReady(this.redis, this.stop.signal)) {
      try {
        if (this.checkPosition) {
          this.checkPosition = false;
          await this.recheck();
        }
        const reply = (await this.redis.xread('COUNT', this.options.readBatch, 'BLOCK', this.options.readBlockMs, 'STREAMS', this.keys.stream, this.lastId)) as XreadReply;
        for (const [, entries] of reply ?? []) this.consume(entries);
      } catch (error) {
        if (this.stop.signal.aborted) return;
        if (this.redis.status === 'ready') {
          // A live Redis that refuses the read: not a dropped connection; say so and pause.
          this.sinks.log(`realtime: reading the Redis stream failed (${(error as Error).message}); retrying in ${this.options.reconnectMaxMs} ms`);
          this.checkPosition = true;
          await new Promise((resolve) => setTimeout(resolve, this.options.reconnectMaxMs).unref());
        }
      }
    }
  }

  private consume(entries: [string, string[]][]): void {
    for (const [id, fields] of entries) {
      this.lastId = id;
      const record = parseRecord(fields);
      if (!record) {
        this.sinks.log(`realtime: skipped stream entry ${id} of ${this.keys.stream}: not an hlsaudio publication`);
        continue;
      }
      const gap = sequenceGap(this.lastN, record.n);
      this.lastN = record.n;
      if (gap) this.sinks.gap(gap);
      if (record.origin === this.nodeId) continue;
      if ('dropped' in record) this.sinks.gap({ missed: record.dropped, reason: 'dropped' });
      else this.sinks.delivery(record.delivery);
    }
  }

  private async recheck(): Promise<void> {
    const replies = await this.redis.multi().info('server').get(this.keys.counter).xrange(this.keys.stream, this.lastId, this.lastId).exec();
    const [info, counter, entry] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    }) as [string, string | null, [string, string[]][]];
    const runId = runIdOf(info);
    const restarted = runId !== this.runId;
    this.runId = runId;
    const counterNow = counter === null ? undefined : Number(counter);
    const entryKept = this.lastId === '0-0' || parseRecord(entry[0]?.[1] ?? [])?.n === this.lastN;
    // Without a restart a missing entry was trimmed while this node was away: the next entry's number
    // counts what it missed. After a restart, a missing counter or entry means Redis lost its data
    // (no persistence), and with it entries this node may not have read: nobody knows how many.
    const lost = (counterNow ?? 0) < this.lastN || (restarted && (counterNow === undefined || !entryKept));
    if (!lost) {
      // Another server kept our position (a promoted replica): the position holds, but entries the old
      // master acknowledged after its replica's last copy, unread here, are gone, and nobody can count
      // them (asynchronous replication). Said, never silent.
      if (restarted) this.sinks.gap({ missed: null, reason: 'failover' });
      return;
    }
    this.sinks.gap({ missed: null, reason: 'reset' });
    this.lastId = '0-0';
    this.lastN = 0;
  }
}

function runIdOf(info: string): string {
  return /^run_id:(\w+)/m.exec(info)?.[1] ?? '';
}
