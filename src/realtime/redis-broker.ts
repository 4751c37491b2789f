import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisOptions } from '../defaults.js';
import { optionError } from '../errors.js';
import { type Logger, stderrLogger } from '../log.js';
import { type OptionValues, resolveOptions } from '../option-table.js';
import type { Delivery, RealtimeBroker } from './broker.js';
import { describeGap, type Gap, gapEvent } from './events-gap.js';
import { closeRedisConnection, openRedisConnection } from './redis-connection.js';
import { RedisOutage } from './redis-outage.js';
import { StreamPublisher } from './redis-publisher.js';
import { StreamReader } from './redis-reader.js';
import { streamKeys } from './redis-stream.js';
import { maskUrlCredentials } from '../url-credentials.js';

type Limits = OptionValues<typeof redisOptions>;

export interface RedisBrokerOptions extends Partial<Limits> {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  url: string;
  /** This node's name in the stream and in CLIENT LIST; unique by default. */
  nodeId?: string;
  /** One warning per outage, recovery and gap; stderr by default. */
  logger?: Logger;
  /** The node's outage, shared by all its Redis connections (`serve`); its own otherwise. */
  outage?: RedisOutage;
}

/**
 * The RealtimeBroker of several `serve` nodes, on one Redis Stream. A publication is handed to the
 * stream for the other nodes, then delivered to this node's connections at once (as the in-process
 * broker does, so local delivery never waits for Redis and keeps working while Redis is down);
 * each node reads the stream from its last entry and delivers the others' publications in stream
 * order. README "Events across several nodes (Redis)" states the guarantees; docs/design-notes.md
 * says why Streams and not pub/sub.
 */
export class RedisBroker implements RealtimeBroker {
  private readonly listeners = new Set<(delivery: Delivery) => void>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly publisherConnection: Redis,
    private readonly publisher: StreamPublisher,
    private readonly reader: StreamReader,
    private readonly outage: RedisOutage,
    private readonly unwatch: () => void,
    private readonly options: Limits & { log: (line: string) => void },
  ) {}

  /** Connects both connections; rejects with E_REDIS (the URL masked) when Redis cannot be reached. */
  static async connect(options: RedisBrokerOptions): Promise<RedisBroker> {
    const resolved = resolveBrokerOptions(options);
    const nodeId = checkRedisName('nodeId', options.nodeId ?? newNodeId());
    const where = maskUrlCredentials(options.url);
    const open = (role: string, socketTimeoutMs: number) => openRedisConnection({ ...resolved, socketTimeoutMs, url: options.url, name: `hlsaudio-${role}-${nodeId}` });
    const publisherConnection = await open('publisher', resolved.socketTimeoutMs);
    let readerConnection: Redis | undefined;
    try {
      // Its XREAD BLOCK is answered within readBlockMs, even with nothing to read.
      readerConnection = await open('reader', resolved.readBlockMs + resolved.socketTimeoutMs);
      const keys = streamKeys(resolved.keyPrefix);
      const publisher = new StreamPublisher(publisherConnection, keys, nodeId, resolved, resolved.log);
      let broker: RedisBroker | undefined;
      const reader = new StreamReader(readerConnection, keys, nodeId, resolved, {
        delivery: (delivery) => broker?.deliver(delivery),
        gap: (gap) => broker?.signalGap(gap),
        log: resolved.log,
      });
      const outage = options.outage ?? new RedisOutage(where, resolved.log);
      const role = {
        without: `events reach this node's connections only, its publications waiting for the other nodes (up to ${resolved.publishBufferEntries})`,
        back: () => `${publisher.backlog ? `${publisher.backlog} publications waiting are being sent` : 'no publication was waiting'}${publisher.dropped ? `; ${publisher.dropped} dropped since the start (the other nodes signal the gap)` : ''}`,
      };
      const unwatch = [outage.watch(publisherConnection, 'publisher', role), outage.watch(readerConnection, 'reader', role)];
      broker = new RedisBroker(publisherConnection, publisher, reader, outage, () => unwatch.forEach((stop) => stop()), resolved);
      await reader.start();
      return broker;
    } catch (error) {
      publisherConnection.disconnect();
      readerConnection?.disconnect();
      throw error;
    }
  }

  publish(delivery: Delivery): void {
    // Handed to Redis first (the command is written at once when nothing is in flight), so that the
    // other nodes deliver it while this one writes to its own sockets, not after: with thousands of
    // connections per node, those writes are what takes time (design-notes "One frame per broadcast").
    this.publisher.push(JSON.stringify(delivery));
    this.deliver(delivery);
  }

  subscribe(listener: (delivery: Delivery) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Why this node is degraded (Redis unreachable), or undefined. */
  degradedReason(): string | undefined {
    return this.outage.reason;
  }

  /** Sends what is still waiting (at most shutdownFlushMs), then closes both connections. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      this.unwatch();
      const left = await this.publisher.drain(this.options.shutdownFlushMs);
      if (left > 0) this.options.log(`realtime: ${left} publications never reached Redis (unreachable at shutdown); the other nodes did not get them`);
      await this.reader.close();
      await closeRedisConnection(this.publisherConnection);
      this.listeners.clear();
    })());
  }

  private deliver(delivery: Delivery): void {
    for (const listener of this.listeners) listener(delivery);
  }

  private signalGap(gap: Gap): void {
    this.options.log(`realtime: ${describeGap(gap)}; this node's connections were told (EventsGap)`);
    this.deliver({ to: 'all', event: gapEvent(gap) });
  }
}

/** A node's name: one per process, shared by its Redis parts (the bus, the presence). */
export function newNodeId(): string {
  return `node-${randomBytes(6).toString('hex')}`;
}

const NAME = /^[\w.:-]{1,100}$/;

/** A node id or key prefix: it names connections (CLIENT SETNAME takes no spaces) and keys. */
export function checkRedisName(field: string, value: string): string {
  if (!NAME.test(value)) throw optionError(field, '1 to 100 letters, digits, `.`, `:`, `_` or `-`', value);
  return value;
}

/** `redisOptions` (defaults.ts) resolved; the key prefix also names keys, so it takes the name rule. */
function resolveBrokerOptions(options: RedisBrokerOptions): Limits & { log: (line: string) => void } {
  const resolved = resolveOptions(redisOptions, options, optionError);
  checkRedisName('keyPrefix', resolved.keyPrefix);
  const logger = options.logger ?? stderrLogger;
  return { ...resolved, log: (line) => logger.warn(line) };
}
