import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program, run with `eval` so that it works the same from `dist/` and from the
 * TypeScript sources under test. It opens its own connection and runs a PASSIVE checkpoint every
 * intervalMs: PASSIVE never waits for the writer, and the writer never waits for it.
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
const timer = setInterval(() => checkpoint.get(), workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  process.exit(0);
});
`;

/**
 * Moves WAL checkpoints off the event loop. SQLite checkpoints on the writing connection by default,
 * after the commit that brings the WAL to 1000 pages: that write then also copies about 4 MB into the
 * database file and fsyncs it, and became the slowest write by far (docs/design-notes.md, "Analytics").
 * Here a worker thread checkpoints on its own connection, and the writer's automatic checkpoints are
 * turned off; if the worker stops, they are turned back on so that the WAL never grows unchecked.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private stopping = false;

  constructor(file: string, intervalMs: number, busyTimeoutMs: number, onStop: () => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, intervalMs, busyTimeoutMs } });
    this.worker.unref();
    this.worker.on('error', () => undefined);
    this.worker.on('exit', () => {
      if (!this.stopping) onStop();
    });
  }

  stop(): void {
    this.stopping = true;
    this.worker.postMessage('stop');
  }
}
