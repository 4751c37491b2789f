import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { redisOptions, redisPresenceOptions } from '../defaults.js';
import { optionError } from '../errors.js';
import { type Logger, stderrLogger } from '../log.js';
import { type OptionValues, resolveOptions } from '../option-table.js';
import { InProcessPresence, type Presence } from './presence.js';
import { checkRedisName, newNodeId } from './redis-broker.js';
import { closeRedisConnection, openRedisConnection } from './redis-connection.js';
import { RedisOutage } from './redis-outage.js';
import { HEARTBEAT_SCRIPT, type PresenceKeys, presenceKeys } from './redis-presence-scripts.js';
import { RedisQuotas } from './redis-quotas.js';
import { maskUrlCredentials } from '../url-credentials.js';

type Limits = OptionValues<typeof redisOptions> & OptionValues<typeof redisPresenceOptions>;

export interface RedisPresenceOptions extends Partial<Limits> {
  url: string;
  /** The node's name, shared with its RedisBroker; unique by default. */
  nodeId?: string;
  /** One warning when Redis is lost, one when it is back; stderr by default. */
  logger?: Logger;
  /** The node's outage, shared by all its Redis connections (`serve`); its own otherwise. */
  outage?: RedisOutage;
}

type HeartbeatCommand = (...args: (string | number)[]) => Promise<[number, (string | string[])[]]>;

interface NodeView {
  listeners: number;
  load: number;
  byTrack: Map<string, number>;
}

/**
 * The Presence of `serve --redis`, and the node's entry in Redis for the shared quotas. This node's
 * listeners are counted here, at once (InProcessPresence); a heartbeat every presenceTtlMs /
 * presenceBeatsPerTtl writes their aggregate (listeners, its presenceTracksPerNode most listened
 * tracks, load) to this node's hash, which expires after presenceTtlMs, and reads every other live node's, so that `listeners()`
 * stays synchronous: this node's own now plus the others' as of the last heartbeat. A node that
 * dies stops being counted within presenceTtlMs plus one heartbeat. While Redis cannot be reached
 * LiveStats counts this node's listeners only, and the node's RedisOutage says so.
 */
export class RedisPresence implements Presence {
  readonly quotas: RedisQuotas;
  private readonly local = new InProcessPresence();
  private readonly heartbeatCommand: HeartbeatCommand;
  private readonly listeningKey: string;
  private others: { nodes: NodeView[]; readAtMs: number } = { nodes: [], readAtMs: 0 };
  private loadMark: EventLoopUtilization = performance.eventLoopUtilization();
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private lost = false;
  private readonly unwatch: () => void;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly redis: Redis,
    private readonly keys: PresenceKeys,
    private readonly nodeId: string,
    private readonly options: Limits,
    outage: RedisOutage,
  ) {
    this.listeningKey = keys.listening + nodeId;
    redis.defineCommand('hlsaudioHeartbeat', { numberOfKeys: 3, lua: HEARTBEAT_SCRIPT });
    this.heartbeatCommand = (redis as unknown as Record<'hlsaudioHeartbeat', HeartbeatCommand>).hlsaudioHeartbeat.bind(redis);
    this.quotas = new RedisQuotas(redis, keys, nodeId, options);
    this.unwatch = outage.watch(redis, 'presence', { without: "LiveStats counts this node's listeners only and connection quotas are checked on this node alone" });
    redis.on('close', () => {
      this.lost = true;
      this.others = { nodes: [], readAtMs: 0 };
    });
    // Back: every count is shared again from this heartbeat on.
    redis.on('ready', () => {
      if (!this.lost) return;
      this.lost = false;
      void this.beat();
    });
  }

  /** Connects and writes the first heartbeat; rejects with E_REDIS (the URL masked) when Redis cannot be reached. */
  static async connect(options: RedisPresenceOptions): Promise<RedisPresence> {
    const resolved = resolveOptions({ ...redisOptions, ...redisPresenceOptions }, options, optionError);
    checkRedisName('keyPrefix', resolved.keyPrefix);
    const nodeId = checkRedisName('nodeId', options.nodeId ?? newNodeId());
    const logger = options.logger ?? stderrLogger;
    const redis = await openRedisConnection({ ...resolved, url: options.url, name: `hlsaudio-presence-${nodeId}` });
    const outage = options.outage ?? new RedisOutage(maskUrlCredentials(options.url), (line) => logger.warn(line));
    const presence = new RedisPresence(redis, presenceKeys(resolved.keyPrefix), nodeId, resolved, outage);
    await presence.beat();
    const interval = Math.max(10, Math.round(resolved.presenceTtlMs / resolved.presenceBeatsPerTtl));
    presence.timer = setInterval(() => void presence.beat(), interval);
    presence.timer.unref();
    return presence;
  }

  set(connectionId: string, trackId: string | undefined): void {
    this.local.set(connectionId, trackId);
  }

  listeners(): { concurrent: number; byTrack: ReadonlyMap<string, number> } {
    const own = this.local.listeners();
    const byTrack = new Map(own.byTrack);
    let concurrent = own.concurrent;
    for (const node of this.liveOthers()) {
      concurrent += node.listeners;
      for (const [trackId, count] of node.byTrack) byTrack.set(trackId, (byTrack.get(trackId) ?? 0) + count);
    }
    return { concurrent, byTrack };
  }

  /**
   * The busiest live node's load: a balancer spreads the work over the nodes, and the first node to
   * saturate is the one whose listeners lag; a mean would hide it behind idle ones.
   */
  serverLoad(ownLoad: number): number {
    return Math.max(ownLoad, ...this.liveOthers().map((node) => node.load));
  }

  /** Stops the heartbeat and removes this node's entries at once (the others stop counting it now, not after the TTL). */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      clearInterval(this.timer);
      this.unwatch();
      await this.beating;
      if (this.redis.status === 'ready') {
        await this.redis
          .multi()
          .zrem(this.keys.nodes, this.nodeId)
          .del(this.listeningKey, this.keys.holds + this.nodeId)
          .exec()
          .catch(() => {});
      }
      await closeRedisConnection(this.redis);
    })());
  }

  /** The other nodes as the last heartbeat read them; nothing once that is older than the TTL (Redis frozen or unreachable). */
  private liveOthers(): NodeView[] {
    return Date.now() - this.others.readAtMs <= this.options.presenceTtlMs ? this.others.nodes : [];
  }

  private beat(): Promise<void> {
    // A heartbeat still waiting for Redis (frozen) is not sent again on top of it.
    return (this.beating ??= this.sendHeartbeat().finally(() => (this.beating = undefined)));
  }

  private async sendHeartbeat(): Promise<void> {
    const own = this.local.listeners();
    const mark = performance.eventLoopUtilization();
    const load = Math.round(performance.eventLoopUtilization(mark, this.loadMark).utilization * 1000) / 1000;
    this.loadMark = mark;
    const tracks = [...own.byTrack]
      .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
      .slice(0, this.options.presenceTracksPerNode)
      .flatMap(([trackId, count]) => [trackId, count]);
    let answer: [number, (string | string[])[]];
    try {
      answer = await this.heartbeatCommand(this.keys.nodes, this.listeningKey, this.keys.holds + this.nodeId, this.keys.listening, this.nodeId, this.options.presenceTtlMs, own.concurrent, load, ...tracks);
    } catch {
      this.others = { nodes: [], readAtMs: 0 };
      return;
    }
    const [complete, flat] = answer;
    const nodes: NodeView[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) nodes.push(nodeView(flat[i + 1] as string[]));
    this.others = { nodes, readAtMs: Date.now() };
    await this.quotas.heartbeatDone(complete === 1);
  }
}

/** A listening hash as HGETALL gives it (`[field, value, …]`); fields it does not know are ignored. */
function nodeView(fields: string[]): NodeView {
  const view: NodeView = { listeners: 0, load: 0, byTrack: new Map() };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const field = fields[i]!;
    const value = Number(fields[i + 1]);
    if (!Number.isFinite(value) || value < 0) continue;
    if (field === 'listeners') view.listeners = value;
    else if (field === 'load') view.load = value;
    else if (field.startsWith('t:') && value > 0) view.byTrack.set(field.slice(2), value);
  }
  return view;
}
