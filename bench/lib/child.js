import { spawn } from 'node:child_process';

/**
 * A child process running `script` (the bench file itself, in another role) with the hard
 * open-files limit, talking over IPC: `next(type)` waits for the next message of that type.
 * `nodeArgs` go before the script (`--expose-gc` to measure memory after a collection).
 */
export function child(script, args, nodeArgs = []) {
  const command = `ulimit -n "$(ulimit -Hn)" && exec "${process.execPath}" ${nodeArgs.join(' ')} "${script}" ${args.join(' ')}`;
  const proc = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox = [];
  const waiting = [];
  proc.on('message', (message) => {
    const index = waiting.findIndex((waiter) => waiter.type === message.type);
    if (index === -1) inbox.push(message);
    else waiting.splice(index, 1)[0].resolve(message);
  });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  return {
    pid: proc.pid,
    send: (message) => proc.send(message),
    next(type) {
      const index = inbox.findIndex((message) => message.type === type);
      if (index !== -1) return Promise.resolve(inbox.splice(index, 1)[0]);
      return new Promise((resolve, reject) => {
        waiting.push({ type, resolve });
        exited.then((code) => reject(new Error(`child ${args.join(' ')} exited (${code}) before sending ${type}`)));
      });
    },
    stop: () => {
      proc.kill('SIGKILL');
      return exited;
    },
    exited,
  };
}
