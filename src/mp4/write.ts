/**
 * Building ISO/IEC 14496-12 boxes from their fields: big-endian integers, box and full-box headers.
 * Every box is built whole in memory (an init segment is under a kilobyte, a `moof` a few).
 */

import { HlsaudioError } from '../errors.js';

export function u8(value: number): Buffer {
  return Buffer.from([value & 0xff]);
}

export function u16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
}

export function i16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeInt16BE(value);
  return bytes;
}

export function u24(value: number): Buffer {
  return Buffer.from([(value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}

export function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes;
}

export function i32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
}

export function u64(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(value));
  return bytes;
}

export function fourcc(code: string): Buffer {
  if (code.length !== 4) throw new HlsaudioError('E_BITSTREAM', `a box type has four characters, got "${code}"`);
  return Buffer.from(code, 'latin1');
}

/** A box: 32-bit size, type, payload. */
export function box(type: string, ...payload: Uint8Array[]): Buffer {
  const size = 8 + payload.reduce((sum, part) => sum + part.length, 0);
  return Buffer.concat([u32(size), fourcc(type), ...payload]);
}

/** A full box: a box whose payload starts with an 8-bit version and 24-bit flags. */
export function fullBox(type: string, version: number, flags: number, ...payload: Uint8Array[]): Buffer {
  return box(type, u8(version), u24(flags), ...payload);
}

/** The unity transformation matrix of `mvhd` and `tkhd` (16.16 and 2.30 fixed point). */
export const UNITY_MATRIX = Buffer.concat([0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000].map(u32));
