/**
 * ID3v2.4 tags as packed audio needs them (RFC 8216 section 3.4): each segment starts with a PRIV
 * frame owned by `com.apple.streaming.transportStreamTimestamp` whose 8-byte big-endian payload holds
 * the 33-bit MPEG-2 presentation time stamp (90 kHz) of the segment's first sample.
 */
export const TRANSPORT_STREAM_TIMESTAMP_OWNER = 'com.apple.streaming.transportStreamTimestamp';
export const ID3_HEADER_BYTES = 10;
/** PTS are 33-bit counters of a 90 kHz clock. */
export const PTS_CLOCK_HZ = 90_000;
const PTS_MODULO = 2n ** 33n;

const OWNER_BYTES = new TextEncoder().encode(`${TRANSPORT_STREAM_TIMESTAMP_OWNER}\0`);
/** Size of the tag `timestampTag` writes: header, PRIV frame header, owner, 8-byte timestamp. */
export const TIMESTAMP_TAG_BYTES = ID3_HEADER_BYTES + 10 + OWNER_BYTES.length + 8;

export function timestampTag(pts90kHz: number): Buffer {
  const tag = Buffer.alloc(TIMESTAMP_TAG_BYTES);
  tag.write('ID3', 0, 'latin1');
  tag[3] = 4; // ID3v2.4.0, no flags
  writeSyncsafe(tag, 6, TIMESTAMP_TAG_BYTES - ID3_HEADER_BYTES);
  tag.write('PRIV', 10, 'latin1');
  writeSyncsafe(tag, 14, OWNER_BYTES.length + 8);
  tag.set(OWNER_BYTES, 20);
  tag.writeBigUInt64BE(BigInt(Math.round(pts90kHz)) % PTS_MODULO, 20 + OWNER_BYTES.length);
  return tag;
}

/** Length of the whole ID3v2 tag starting at `offset` (header, frames, footer), or undefined if none is there. */
export function id3TagLength(buf: Uint8Array, offset: number): number | undefined {
  if (buf[offset] !== 0x49 || buf[offset + 1] !== 0x44 || buf[offset + 2] !== 0x33) return undefined; // "ID3"
  const major = buf[offset + 3]!;
  if (major < 2 || major > 4 || buf[offset + 4] === 0xff) return undefined;
  const size = readSyncsafe(buf, offset + 6);
  if (size === undefined) return undefined;
  const hasFooter = (buf[offset + 5]! & 0x10) !== 0;
  return ID3_HEADER_BYTES + size + (hasFooter ? ID3_HEADER_BYTES : 0);
}

/**
 * The transportStreamTimestamp (90 kHz ticks) of a whole ID3v2.3/2.4 tag, or undefined when it has no
 * such PRIV frame.
 */
export function readTransportStreamTimestamp(tag: Uint8Array): number | undefined {
  const major = tag[3]!;
  if (major < 3) return undefined;
  let at = ID3_HEADER_BYTES;
  while (at + 10 <= tag.length) {
    const id = String.fromCharCode(tag[at]!, tag[at + 1]!, tag[at + 2]!, tag[at + 3]!);
    if (!/^[A-Z0-9]{4}$/.test(id)) break; // padding
    const size = major === 4 ? readSyncsafe(tag, at + 4) : new DataView(tag.buffer, tag.byteOffset).getUint32(at + 4);
    if (size === undefined) return undefined;
    const data = tag.subarray(at + 10, at + 10 + size);
    if (id === 'PRIV' && data.length === OWNER_BYTES.length + 8 && OWNER_BYTES.every((byte, i) => data[i] === byte)) {
      const view = new DataView(data.buffer, data.byteOffset + OWNER_BYTES.length, 8);
      return Number(view.getBigUint64(0) % PTS_MODULO);
    }
    at += 10 + size;
  }
  return undefined;
}

function writeSyncsafe(buf: Buffer, offset: number, value: number): void {
  buf[offset] = (value >> 21) & 0x7f;
  buf[offset + 1] = (value >> 14) & 0x7f;
  buf[offset + 2] = (value >> 7) & 0x7f;
  buf[offset + 3] = value & 0x7f;
}

function readSyncsafe(buf: Uint8Array, offset: number): number | undefined {
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const byte = buf[offset + i]!;
    if (byte & 0x80) return undefined;
    value = (value << 7) | byte;
  }
  return value;
}
