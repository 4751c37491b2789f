/**
 * Who is listening to what, for `LiveStats`: each connection's playing track, as its playback
 * changes (Play, Pause, Stop, the connection closing). One process keeps it in a map; `serve --redis`
 * shares it (RedisPresence: one hash per node, expired with the node's heartbeat), so that LiveStats
 * counts every node's listeners.
 */
export interface Presence {
  /** The connection plays `trackId` now, or nothing (undefined: paused, stopped, gone). */
  set(connectionId: string, trackId: string | undefined): void;
  /** Connections playing now, and how many play each track. */
  listeners(): { concurrent: number; byTrack: ReadonlyMap<string, number> };
  /** LiveStats' `server_load`, given this process's own (the event loop's busy share). */
  serverLoad(ownLoad: number): number;
}

/** The presence of one process: a map from connection to the track it plays. */
export class InProcessPresence implements Presence {
  private readonly playing = new Map<string, string>();

  set(connectionId: string, trackId: string | undefined): void {
    if (trackId === undefined) this.playing.delete(connectionId);
    else this.playing.set(connectionId, trackId);
  }

  listeners(): { concurrent: number; byTrack: ReadonlyMap<string, number> } {
    const byTrack = new Map<string, number>();
    for (const trackId of this.playing.values()) byTrack.set(trackId, (byTrack.get(trackId) ?? 0) + 1);
    return { concurrent: this.playing.size, byTrack };
  }

  serverLoad(ownLoad: number): number {
    return ownLoad;
  }
}
