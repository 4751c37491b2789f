import type { Redis } from 'ioredis';
import { PUBLISH_SCRIPT } from './redis-publish-script.js';
import { PublishQueue } from './redis-publish-queue.js';
import type { StreamKeys } from './redis-stream.js';

export interface PublisherOptions {
  streamMaxLen: number;
  publishBatch: number;
  publishBufferEntries: number;
  publisherMemoryMs: number;
  reconnectMaxMs: number;
}

type PublishCommand = (...args: (string | number)[]) => Promise<number>;

/**
 * Sends this node's publications to the stream, in order: one batch at a time (one script call),
 * the next only once Redis acknowledged the previous. While Redis is unreachable they wait in a
 * bounded PublishQueue, and go as soon as the connection is ready again.
 */
export class StreamPublisher {
  private readonly queue: PublishQueue;
  private readonly publish: PublishCommand;
  private flushing: Promise<void> | undefined;
  private failure: string | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: StreamKeys,
    private readonly nodeId: string,
    private readonly options: PublisherOptions,
    private readonly log: (line: string) => void,
  ) {
    this.queue = new PublishQueue(options.publishBufferEntries);
    // ioredis sends EVALSHA, and the script itself after a NOSCRIPT (a restarted Redis).
    redis.defineCommand('hlsaudioPublish', { numberOfKeys: 3, lua: PUBLISH_SCRIPT });
    this.publish = (redis as unknown as Record<'hlsaudioPublish', PublishCommand>).hlsaudioPublish.bind(redis);
    redis.on('ready', () => this.kick());
  }

  /** Publications not yet acknowledged by Redis. */
  get backlog(): number {
    return this.queue.size;
  }

  get dropped(): number {
    return this.queue.dropped;
  }

  push(deliveryJson: string): void {
    this.queue.push(deliveryJson);
    this.kick();
  }

  /** Waits (at most `timeoutMs`) until every publication reached Redis; resolves with how many did not. */
  async drain(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.size > 0 && Date.now() < deadline && this.redis.status === 'ready') {
      this.kick();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.flushing, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))]);
      clearTimeout(timer);
    }
    return this.queue.size;
  }

  private kick(): void {
    if (this.flushing || this.queue.size === 0 || this.redis.status !== 'ready') return;
    this.flushing = this.flush().finally(() => {
      this.flushing = undefined;
      // Publications pushed during the last call.
      this.kick();
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.size > 0 && this.redis.status === 'ready') {
      const batch = this.queue.take(this.options.publishBatch);
      const args = [this.keys.stream, this.keys.counter, this.keys.publisher(this.nodeId), this.options.streamMaxLen, this.nodeId, this.options.publisherMemoryMs];
      for (const entry of batch) args.push(entry.seq, entry.field, entry.value);
      try {
        await this.publish(...args);
      } catch (error) {
        // A dropped connection is the outage's to report; a refusal by a live Redis (out of memory,
        // a read-only replica) is logged once until a batch passes, and retried after a pause.
        if (this.redis.status !== 'ready') return;
        const message = (error as Error).message;
        if (this.failure !== message) this.log(`realtime: Redis refused publications (${message}); retrying every ${this.options.reconnectMaxMs} ms`);
        this.failure = message;
        await new Promise((resolve) => setTimeout(resolve, this.options.reconnectMaxMs).unref());
        continue;
      }
      this.failure = undefined;
      this.queue.acknowledge(batch.length);
    }
  }
}
