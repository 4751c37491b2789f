import { expect, test } from 'vitest';
import { CommandQueue } from '../../../src/realtime/command-queue.js';

/** A step that records its name, and the promise that releases it when it is asynchronous. */
function deferred(): { promise: Promise<void>; release: () => void; fail: () => void } {
  let release!: () => void;
  let fail!: () => void;
  const promise = new Promise<void>((resolve, reject) => {
    release = resolve;
    fail = () => reject(new Error('failed'));
  });
  return { promise, release, fail };
}

test('synchronous steps run at once; steps after an asynchronous one wait for it, in order', async () => {
  const queue = new CommandQueue();
  const ran: string[] = [];
  queue.run(() => void ran.push('a'));
  expect(ran).toEqual(['a']);
  expect(queue.busy).toBe(false);
  const slow = deferred();
  queue.run(() => {
    ran.push('slow');
    return slow.promise;
  });
  queue.run(() => void ran.push('b'));
  queue.track(undefined);
  queue.run(() => void ran.push('c'));
  expect(ran).toEqual(['a', 'slow']);
  expect(queue.busy).toBe(true);
  expect(queue.size).toBe(2);
  slow.release();
  await slow.promise;
  await Promise.resolve();
  expect(ran).toEqual(['a', 'slow', 'b', 'c']);
  expect(queue.busy).toBe(false);
  expect(queue.size).toBe(0);
});

test('a failed step releases the queue as a settled one does; a cleared queue runs nothing more', async () => {
  const queue = new CommandQueue();
  const ran: string[] = [];
  const first = deferred();
  queue.track(first.promise);
  queue.run(() => void ran.push('after failure'));
  first.fail();
  await first.promise.catch(() => {});
  await Promise.resolve();
  expect(ran).toEqual(['after failure']);
  const second = deferred();
  queue.track(second.promise);
  queue.run(() => void ran.push('never'));
  queue.clear();
  expect(queue.size).toBe(0);
  second.release();
  await second.promise;
  await Promise.resolve();
  queue.run(() => void ran.push('never either'));
  expect(ran).toEqual(['after failure']);
});
