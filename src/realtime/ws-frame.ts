import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';

/**
 * A text message framed once (RFC 6455 section 5.2: FIN, opcode 1, unmasked as a server's frames
 * are), so that a broadcast writes the same bytes to every socket instead of having ws frame it
 * again per socket (bench/fanout.js measures the difference). `payload` is a view into `frame`.
 */
export class TextFrame {
  readonly frame: Buffer;
  readonly payload: Buffer;

  constructor(text: string) {
    const length = Buffer.byteLength(text);
    const headerBytes = length < 126 ? 2 : length < 65536 ? 4 : 10;
    this.frame = Buffer.allocUnsafe(headerBytes + length);
    this.frame[0] = 0x81;
    if (headerBytes === 2) {
      this.frame[1] = length;
    } else if (headerBytes === 4) {
      this.frame[1] = 126;
      this.frame.writeUInt16BE(length, 2);
    } else {
      this.frame[1] = 127;
      this.frame.writeBigUInt64BE(BigInt(length), 2);
    }
    this.frame.write(text, headerBytes, 'utf8');
    this.payload = this.frame.subarray(headerBytes);
  }
}

/**
 * The parts of ws 8's WebSocket and Sender (node_modules/ws/lib/websocket.js, sender.js) this module
 * relies on; not ws's public API, hence ws pinned exactly in package.json, and
 * test/unit/realtime/ws-frame.test.ts, which fails if an upgrade changes any of them.
 */
interface WsInternals {
  /** The TCP socket: ws writes every frame to it, and `bufferedAmount` counts its writable length. */
  _socket?: Duplex | null;
  _sender?: {
    /** 0 (DEFAULT) unless a frame is being compressed or a Blob read: later sends then wait in `_queue`. */
    _state: number;
    _queue: unknown[];
    /** False inside a fragmented message. */
    _firstFragment: boolean;
  } | null;
}

/**
 * Writes `frame` to the socket under `socket`, as ws's own `send` would have, when nothing of ws's
 * is waiting to be written before it; false otherwise (ws busy, fragmenting, or the socket not
 * open), and the caller sends through `socket.send`, which keeps ws's order. A frame written here
 * goes after every frame ws wrote before (pings, pongs, earlier messages) and before any it writes
 * later, as all go through the same stream in call order. Server sockets only: their frames are not
 * masked.
 */
export function writeFrame(socket: WebSocket, frame: TextFrame): boolean {
  if (socket.readyState !== WebSocket.OPEN) return false;
  const { _socket: stream, _sender: sender } = socket as unknown as WsInternals;
  if (!stream || !sender || sender._state !== 0 || sender._queue.length > 0 || !sender._firstFragment) return false;
  if (stream.destroyed || !stream.writable) return false;
  stream.write(frame.frame);
  return true;
}
