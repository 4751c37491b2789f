import type { FileHandle } from 'node:fs/promises';

/**
 * ISO/IEC 14496-12 boxes as hlsaudio reads them: a type, where the box starts and how long it is.
 * Readers never copy a payload; they keep offsets into the buffer or file the box came from.
 */
export interface Box {
  type: string;
  /** Offset of the box's first byte (its size field) in the buffer or file walked. */
  offset: number;
  /** Whole box, header included. */
  size: number;
  /** 8, or 16 for a 64-bit `largesize`. */
  headerSize: number;
}

/** Boxes whose payload is nothing but child boxes (the ones hlsaudio descends into). */
export const CONTAINER_BOXES = new Set(['moov', 'trak', 'edts', 'mdia', 'minf', 'dinf', 'stbl', 'mvex', 'moof', 'traf', 'udta', 'ludt']);

/** Why a run of bytes is not a well-formed sequence of boxes, with the byte where it fails. */
export class BoxError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/** Reads the box header at `offset`; `end` is where the enclosing box (or file) ends. */
export function boxHeader(bytes: Uint8Array, offset: number, end: number): Box {
  if (end - offset < 8) throw new BoxError(`${end - offset} bytes left where a box header (8 bytes) should start`, offset);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let size = view.getUint32(offset);
  const type = String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!, bytes[offset + 6]!, bytes[offset + 7]!);
  let headerSize = 8;
  if (size === 1) {
    if (end - offset < 16) throw new BoxError(`box "${type}" has a 64-bit size but only ${end - offset} bytes`, offset);
    size = Number(view.getBigUint64(offset + 8));
    headerSize = 16;
  } else if (size === 0) {
    size = end - offset; // "extends to the end of the file"
  }
  if (size < headerSize) throw new BoxError(`box "${type}" declares ${size} bytes, less than its own header`, offset);
  if (offset + size > end) throw new BoxError(`box "${type}" of ${size} bytes runs ${offset + size - end} bytes past the end of its parent`, offset);
  return { type, offset, size, headerSize };
}

/** The boxes that make up bytes `start` to `end` exactly (an error if they do not). */
export function readBoxes(bytes: Uint8Array, start = 0, end = bytes.length): Box[] {
  const boxes: Box[] = [];
  for (let at = start; at < end; ) {
    const box = boxHeader(bytes, at, end);
    boxes.push(box);
    at += box.size;
  }
  return boxes;
}

/** The children of a container box (its payload read as boxes), `skip` bytes after its header (sample entries). */
export function childBoxes(bytes: Uint8Array, parent: Box, skip = 0): Box[] {
  return readBoxes(bytes, parent.offset + parent.headerSize + skip, parent.offset + parent.size);
}

/** The first box along a path of types (`['moov', 'trak', 'mdia']`), descending from `within` or the top level. */
export function findBox(bytes: Uint8Array, path: readonly string[], within?: Box): Box | undefined {
  let boxes = within ? childBoxes(bytes, within) : readBoxes(bytes);
  let found: Box | undefined;
  for (const type of path) {
    found = boxes.find((box) => box.type === type);
    if (!found) return undefined;
    boxes = CONTAINER_BOXES.has(type) ? childBoxes(bytes, found) : [];
  }
  return found;
}

/** The payload of a box (after its header), as a view on the same memory. */
export function payloadOf(bytes: Uint8Array, box: Box): Uint8Array {
  return bytes.subarray(box.offset + box.headerSize, box.offset + box.size);
}

/** A big-endian reader over a box payload, for full boxes: `version` and `flags` first. */
export class PayloadReader {
  private readonly view: DataView;
  at = 0;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(count: number): void {
    if (this.at + count > this.bytes.length) throw new BoxError(`payload ends at byte ${this.bytes.length}, ${count} more bytes needed at ${this.at}`, this.at);
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.at++);
  }

  u16(): number {
    this.need(2);
    const value = this.view.getUint16(this.at);
    this.at += 2;
    return value;
  }

  u24(): number {
    return (this.u8() << 16) | this.u16();
  }

  u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.at);
    this.at += 4;
    return value;
  }

  i32(): number {
    this.need(4);
    const value = this.view.getInt32(this.at);
    this.at += 4;
    return value;
  }

  u64(): number {
    this.need(8);
    const value = Number(this.view.getBigUint64(this.at));
    this.at += 8;
    return value;
  }

  i64(): number {
    this.need(8);
    const value = Number(this.view.getBigInt64(this.at));
    this.at += 8;
    return value;
  }

  /** A full box's version and flags. */
  versionAndFlags(): { version: number; flags: number } {
    const word = this.u32();
    return { version: word >>> 24, flags: word & 0xffffff };
  }

  skip(count: number): void {
    this.need(count);
    this.at += count;
  }

  fourcc(): string {
    this.need(4);
    const text = String.fromCharCode(...this.bytes.subarray(this.at, this.at + 4));
    this.at += 4;
    return text;
  }
}

/**
 * The top-level boxes of a file, read header by header (a media file's `mdat`s are never read):
 * the sequence must cover the file exactly.
 */
export async function topLevelBoxes(handle: FileHandle, fileSize: number): Promise<Box[]> {
  const boxes: Box[] = [];
  const header = Buffer.alloc(16);
  for (let at = 0; at < fileSize; ) {
    const { bytesRead } = await handle.read(header, 0, Math.min(16, fileSize - at), at);
    // Offsets relative to this header, then moved to the file's.
    const box = boxHeader(header.subarray(0, bytesRead), 0, Math.min(fileSize - at, Number.MAX_SAFE_INTEGER));
    boxes.push({ ...box, offset: at });
    at += box.size;
  }
  return boxes;
}

/** The bytes of one box read from a file. */
export async function readBoxBytes(handle: FileHandle, box: Box): Promise<Buffer> {
  const bytes = Buffer.alloc(box.size);
  const { bytesRead } = await handle.read(bytes, 0, box.size, box.offset);
  if (bytesRead !== box.size) throw new BoxError(`box "${box.type}" is cut short: ${bytesRead} of ${box.size} bytes`, box.offset);
  return bytes;
}
