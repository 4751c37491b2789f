/** One step of a connection's commands: an answer to send, or a command to run (a promise while it runs). */
export type CommandStep = () => void | Promise<void>;

/**
 * The commands of one connection, one after another, so that answers and a command's events keep
 * the order the commands came in (the typed client relies on it: a command still pending when a
 * later one is answered was dropped). Most commands run synchronously and never wait here: a step
 * runs at once while nothing is in flight. A step that returns a promise (a playlist command on
 * Redis) holds the queue until it settles; what comes meanwhile waits, in order. Different
 * connections never wait for each other. The manager bounds the queue (wsMaxQueuedCommands).
 */
export class CommandQueue {
  private readonly waiting: CommandStep[] = [];
  private inFlight = false;
  private cleared = false;

  /** A step is in flight: a new one must wait. */
  get busy(): boolean {
    return this.inFlight;
  }

  /** Steps waiting behind the one in flight. */
  get size(): number {
    return this.waiting.length;
  }

  /** Runs `step` now when nothing is in flight, else after the steps already waiting. */
  run(step: CommandStep): void {
    if (this.cleared) return;
    if (this.inFlight) this.waiting.push(step);
    else this.track(step());
  }

  /**
   * What a step run directly (while not `busy`) returned: a promise holds the queue until it
   * settles. So the common synchronous command costs no closure.
   */
  track(pending: void | Promise<void>): void {
    if (pending === undefined) return;
    this.inFlight = true;
    // A step answers its own failure (manager.ts); settling only releases the queue.
    void pending.then(
      () => this.next(),
      () => this.next(),
    );
  }

  /** The connection is gone: what waits is dropped, and nothing more runs. */
  clear(): void {
    this.cleared = true;
    this.waiting.length = 0;
  }

  private next(): void {
    this.inFlight = false;
    while (!this.inFlight && !this.cleared) {
      const step = this.waiting.shift();
      if (step === undefined) return;
      this.track(step());
    }
  }
}
