import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisOutage } from '../../../src/realtime/redis-outage.js';

/** Stands for an ioredis connection: the outage only listens to its error, close and ready events. */
const connection = () => new EventEmitter() as unknown as Redis & EventEmitter;

describe('RedisOutage (one per node, over all its Redis connections)', () => {
  it('is one outage from the first connection down to the last one back: one warning each way, and a reason naming what each connection down means', () => {
    const logs: string[] = [];
    let now = Date.parse('2026-12-03T12:00:00Z');
    const outage = new RedisOutage('redis://cache:6379', (line) => logs.push(line), () => now);
    const [bus, sessions, playlists] = [connection(), connection(), connection()];
    outage.watch(bus, 'publisher', { without: 'events stay on this node', back: () => '3 publications sent' });
    outage.watch(sessions, 'sessions', { without: 'the sessions API answers 503' });
    outage.watch(playlists, 'playlists', { without: 'playlist commands are refused' });
    expect(outage.reason).toBeUndefined();

    sessions.emit('error', new Error('read ECONNRESET'));
    sessions.emit('close');
    expect(outage.reason).toBe('Redis at redis://cache:6379 unreachable since 2026-12-03T12:00:00.000Z (read ECONNRESET): the sessions API answers 503');
    bus.emit('close');
    bus.emit('close'); // each reconnection attempt closes again: still one outage
    expect(outage.reason).toMatch(/: the sessions API answers 503; events stay on this node$/);
    expect(logs).toEqual(['realtime: lost Redis at redis://cache:6379 (its sessions connection first); the sessions API answers 503; reconnecting with backoff, /healthz says what else waits']);

    now += 2500;
    sessions.emit('ready');
    expect(outage.reason).toMatch(/: events stay on this node$/);
    expect(logs).toHaveLength(1);
    bus.emit('ready');
    expect(outage.reason).toBeUndefined();
    expect(logs.slice(1)).toEqual(['realtime: Redis at redis://cache:6379 is back after 2.5 s; 3 publications sent']);
  });

  it('takes a connection closed on purpose (unwatched first) for no outage, and ends one that only it held, silently', () => {
    const logs: string[] = [];
    const outage = new RedisOutage('redis://cache:6379', (line) => logs.push(line));
    const [presence, playlists] = [connection(), connection()];
    const stopPresence = outage.watch(presence, 'presence', { without: 'LiveStats counts this node only' });
    const stopPlaylists = outage.watch(playlists, 'playlists', { without: 'playlist commands are refused' });
    stopPresence();
    presence.emit('close');
    expect(outage.reason).toBeUndefined();
    playlists.emit('close');
    expect(outage.reason).toMatch(/: playlist commands are refused$/);
    stopPlaylists(); // shutting down during the outage
    expect(outage.reason).toBeUndefined();
    expect(logs).toHaveLength(1);
  });
});
