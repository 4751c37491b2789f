import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { workerDefaults } from '../defaults.js';
import { type ErrorCode, HlsaudioError, isHlsaudioError } from '../errors.js';
import { interrupt } from './context.js';

/**
 * `hlsaudio serve --workers N`: the primary forks N copies of the same command line with
 * node:cluster, which share the listening port (the primary accepts and hands connections round
 * robin), and every worker is a full `serve` node on the shared Redis. The primary serves nothing:
 * it prints one startup line for all, replaces a worker that dies, and stops them all on SIGINT or
 * SIGTERM. Workers talk to it over the cluster's IPC channel with the messages below.
 */
type WorkerReport =
  | { kind: 'listening'; address: AddressInfo; notices: string[] }
  | { kind: 'start-failed'; code: ErrorCode; message: string };
type PrimaryOrder = { kind: 'stop' };

export interface WorkersOptions {
  count: number;
  /** The startup line, from the first worker's address and notices (printed once, not per worker). */
  announce(address: AddressInfo, notices: string[]): void;
  log?: (line: string) => void;
  restartDelayMs?: number;
  restartMaxDelayMs?: number;
  restartResetAfterMs?: number;
}

interface Slot {
  index: number;
  worker: Worker;
  /** When it said it listens; undefined while it starts. */
  listeningSince: number | undefined;
  failure?: HlsaudioError;
  /** Deaths in a row (reset by restartResetAfterMs of uptime): the next delay doubles with each. */
  deaths: number;
}

/**
 * Runs in the primary until the interrupt (resolves once every worker has exited) or until a worker
 * fails to start (rejects with that worker's error, after stopping the others): a worker that cannot
 * start (port taken, Redis unreachable, an unreadable database) would fail each replacement too.
 */
export function superviseWorkers(options: WorkersOptions): Promise<void> {
  const { count, log = (line) => process.stderr.write(`${line}\n`) } = options;
  const firstDelayMs = options.restartDelayMs ?? workerDefaults.restartDelayMs;
  const maxDelayMs = options.restartMaxDelayMs ?? workerDefaults.restartMaxDelayMs;
  const resetAfterMs = options.restartResetAfterMs ?? workerDefaults.restartResetAfterMs;
  return new Promise<void>((resolve, reject) => {
    const slots = new Set<Slot>();
    const restarts = new Set<NodeJS.Timeout>();
    let announced = false;
    let stopping = false;
    let failure: HlsaudioError | undefined;

    const stopAll = () => {
      stopping = true;
      for (const timer of restarts) clearTimeout(timer);
      restarts.clear();
      for (const slot of slots) order(slot.worker, { kind: 'stop' });
      if (slots.size === 0) settle();
    };
    const settle = () => {
      interrupt.signal.removeEventListener('abort', stopAll);
      if (failure) reject(failure);
      else resolve();
    };

    const fork = (index: number, deaths: number) => {
      // The slot's number, kept by a replacement: the worker's files are named by it.
      const slot: Slot = { index, worker: cluster.fork({ [WORKER_INDEX_VARIABLE]: String(index) }), listeningSince: undefined, deaths };
      slots.add(slot);
      slot.worker.on('message', (report: WorkerReport) => {
        if (report.kind === 'start-failed') slot.failure = new HlsaudioError(report.code, report.message);
        if (report.kind !== 'listening') return;
        slot.listeningSince = performance.now();
        if (stopping) order(slot.worker, { kind: 'stop' });
        else if (announced) log(`hlsaudio serve: worker ${index} is back (pid ${slot.worker.process.pid})`);
        else if ([...slots].every((each) => each.listeningSince !== undefined) && slots.size === count) {
          announced = true;
          options.announce(report.address, report.notices);
        }
      });
      slot.worker.on('exit', (code, signal) => {
        slots.delete(slot);
        if (stopping) {
          if (slots.size === 0) settle();
          return;
        }
        const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
        if (slot.listeningSince === undefined) {
          failure = slot.failure ?? new HlsaudioError('E_LISTEN', `worker ${index} ${how} before it listened`);
          stopAll();
          return;
        }
        const deathsInARow = performance.now() - slot.listeningSince >= resetAfterMs ? 1 : slot.deaths + 1;
        const delayMs = Math.min(maxDelayMs, firstDelayMs * 2 ** (deathsInARow - 1));
        log(`hlsaudio serve: worker ${index} (pid ${slot.worker.process.pid}) ${how}; starting another in ${formatDelay(delayMs)}`);
        const timer = setTimeout(() => {
          restarts.delete(timer);
          fork(index, deathsInARow);
        }, delayMs);
        restarts.add(timer);
      });
    };

    interrupt.signal.addEventListener('abort', stopAll, { once: true });
    for (let index = 1; index <= count; index++) fork(index, 0);
    if (interrupt.signal.aborted) stopAll();
  });
}

function order(worker: Worker, message: PrimaryOrder): void {
  if (worker.isConnected()) worker.send(message);
}

function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

/** Tells a worker its number (1 to N), which its replacement keeps. */
export const WORKER_INDEX_VARIABLE = 'HLSAUDIO_WORKER_INDEX';

/** This worker's number, from the primary. */
export function workerIndex(): string {
  return process.env[WORKER_INDEX_VARIABLE] ?? '1';
}

/**
 * The worker's side: `stop` from the primary, or the primary gone (its IPC channel closed, even by
 * kill -9), stops this worker as SIGINT would; no worker outlives its primary.
 */
export function followPrimary(): void {
  const stop = () => {
    if (!interrupt.signal.aborted) interrupt.abort('primary');
  };
  process.on('message', (message: PrimaryOrder) => {
    if (message.kind === 'stop') stop();
  });
  process.on('disconnect', stop);
}

/** Tells the primary this worker listens (it prints the startup line once for all). */
export function reportListening(address: AddressInfo, notices: string[]): void {
  process.send?.({ kind: 'listening', address, notices } satisfies WorkerReport);
}

/**
 * Tells the primary why this worker could not start, for it to stop the others and print the error
 * once; then leaves the IPC channel so that this process ends.
 */
export async function reportStartFailure(error: unknown): Promise<void> {
  const report: WorkerReport = isHlsaudioError(error)
    ? { kind: 'start-failed', code: error.code, message: error.message }
    : { kind: 'start-failed', code: 'E_LISTEN', message: `internal error: ${(error as Error)?.message ?? error}` };
  const send = process.send?.bind(process);
  if (send) await new Promise<void>((done) => send(report, undefined, undefined, () => done()));
  if (process.connected) process.disconnect?.();
}
