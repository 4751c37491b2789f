import { Worker } from 'node:worker_threads';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';

/** One SQL statement of a read, with its parameters. */
export interface ReadStatement {
  sql: string;
  params: SQLInputValue[];
}

/** Runs statements in one read transaction (one consistent snapshot) and gives each one's rows. */
export type Reader = (statements: ReadStatement[]) => Promise<Record<string, unknown>[][]>;

/**
 * The worker's whole program, run with `eval` so that it works the same from `dist/` and from the
 * TypeScript sources under test. Its own connection runs a PASSIVE checkpoint every intervalMs (0:
 * none), which never waits for the writer nor makes it wait, and the reads it is sent.
 */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
// Node 22 warns that SQLite is experimental on each thread's first use; the main thread already has.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  if (!String(warning).startsWith('SQLite is an experimental feature')) emitWarning.call(process, warning, ...rest);
};
const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
const db = new DatabaseSync(workerData.file, { timeout: workerData.busyTimeoutMs });
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = workerData.checkpointIntervalMs > 0 ? setInterval(() => checkpoint.get(), workerData.checkpointIntervalMs) : undefined;
parentPort.on('message', (message) => {
  if (message.stop) {
    clearInterval(timer);
    db.close();
    process.exit(0);
  }
  try {
    db.exec('BEGIN');
    try {
      parentPort.postMessage({ id: message.id, results: message.statements.map(({ sql, params }) => db.prepare(sql).all(...params)) });
    } finally {
      db.exec('COMMIT');
    }
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: error.message });
  }
});
`;

/**
 * A second connection in a worker thread, for the database work that must not run on the event
 * loop (docs/design-notes.md, "Analytics"):
 * - WAL checkpoints. SQLite makes them on the writing connection by default, after the commit that
 *   brings the WAL to 1000 pages: that write then also copies about 4 MB into the database file and
 *   fsyncs it, and was the slowest write by far. The writer's automatic checkpoints are turned off
 *   while this worker runs.
 * - The summary and track queries, which read every play of the range: 1.5 s for 200,000 plays here.
 * If the worker stops, `onStop` is told, so that the writer checkpoints again and reads run on the
 * main connection: the WAL never grows unchecked and the pages keep answering.
 */
export class BackgroundConnection {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (results: Record<string, unknown>[][]) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private running = true;

  constructor(file: string, options: { checkpointIntervalMs: number; busyTimeoutMs: number }, onStop: () => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, ...options } });
    this.worker.unref();
    this.worker.on('message', (message: { id: number; results?: Record<string, unknown>[][]; error?: string }) => {
      const request = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) request?.reject(new Error(message.error));
      else request?.resolve(message.results!);
    });
    this.worker.on('error', () => undefined);
    this.worker.on('exit', () => {
      const stopped = !this.running;
      this.running = false;
      for (const request of this.pending.values()) request.reject(new Error('the analytics worker thread stopped'));
      this.pending.clear();
      if (!stopped) onStop();
    });
  }

  get alive(): boolean {
    return this.running;
  }

  read: Reader = (statements) =>
    new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      // A worker with a read in flight keeps the process alive until the answer is in.
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, statements });
    }).finally(() => {
      if (this.pending.size === 0) this.worker.unref();
    }) as Promise<Record<string, unknown>[][]>;

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.worker.postMessage({ stop: true });
  }
}

/** The same reads on the writing connection: blocks the event loop, used only when the worker is gone. */
export function readOnConnection(db: DatabaseSync): Reader {
  return async (statements) => {
    db.exec('BEGIN');
    try {
      return statements.map(({ sql, params }) => db.prepare(sql).all(...params) as Record<string, unknown>[]);
    } finally {
      db.exec('COMMIT');
    }
  };
}
