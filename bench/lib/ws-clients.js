/**
 * The client side of the WebSocket benches (realtime, redis-events): a child process that opens
 * `count` connections to one event server, each subscribed to ServerMessage, and reports every
 * delivery's latency and its own CPU time per phase, and the answers to a burst of Pings. Messages from the orchestrator:
 * `connect {url, count}`, `expect {phase, total}`, `commands {count}`, `close`.
 */
import { WebSocket } from 'ws';

const now = () => performance.timeOrigin + performance.now();

export async function clientRole() {
  const sockets = [];
  let phase;
  let commands;
  process.on('message', async (message) => {
    if (message.type === 'connect') {
      const started = now();
      const { url, count } = message;
      for (let i = 0; i < count; i += 100) {
        const batch = [];
        for (let j = i; j < Math.min(count, i + 100); j++) batch.push(open(url));
        sockets.push(...(await Promise.all(batch)));
      }
      process.send({ type: 'connected', count: sockets.length, ms: now() - started });
    }
    if (message.type === 'commands') {
      commands = { remaining: message.count * sockets.length, firstAt: now() };
      const text = JSON.stringify({ command: 'Ping', command_id: 'p' });
      for (const socket of sockets) for (let i = 0; i < message.count; i++) socket.send(text);
    }
    if (message.type === 'expect') {
      phase = { name: message.phase, remaining: message.total * sockets.length, latencies: [], lastAt: 0, cpu: process.cpuUsage() };
    }
    if (message.type === 'close') {
      await Promise.all(sockets.map((socket) => (socket.readyState === WebSocket.CLOSED ? null : new Promise((resolve) => socket.once('close', resolve)))));
      process.send({ type: 'closed' });
      process.disconnect();
    }
  });

  function open(url) {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      socket.once('error', reject);
      socket.once('open', () => socket.send(JSON.stringify({ command: 'Subscribe', command_id: 's', events: ['ServerMessage'] })));
      socket.on('message', (data) => {
        const at = now();
        const event = JSON.parse(data);
        if (event.event === 'CommandResponse' && commands) {
          if (--commands.remaining === 0) process.send({ type: 'commanded', firstAt: commands.firstAt, lastAt: at });
          return;
        }
        if (event.event === 'CommandResponse') return event.success ? resolve(socket) : reject(new Error(event.error));
        if (event.event !== 'ServerMessage' || !phase) return;
        const [name, , sentAt] = event.message.split(' ');
        if (name !== phase.name) return;
        phase.latencies.push(at - Number(sentAt));
        phase.lastAt = at;
        if (--phase.remaining > 0) return;
        const cpu = process.cpuUsage(phase.cpu);
        process.send({ type: 'phase', name, lastAt: phase.lastAt, latencies: phase.latencies, cpuMicros: cpu.user + cpu.system });
      });
    });
  }
}
