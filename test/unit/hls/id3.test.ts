import { describe, expect, it } from 'vitest';
import { id3TagLength, readTransportStreamTimestamp, TIMESTAMP_TAG_BYTES, timestampTag } from '../../../src/hls/id3.js';

describe('timestampTag', () => {
  it('writes the exact ID3v2.4 PRIV transportStreamTimestamp tag of RFC 8216 section 3.4', () => {
    const tag = timestampTag(540735);
    expect(tag.length).toBe(TIMESTAMP_TAG_BYTES);
    expect(tag.length).toBe(73);
    expect(tag.subarray(0, 10)).toEqual(Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 63]));
    expect(tag.subarray(10, 20)).toEqual(Buffer.from([0x50, 0x52, 0x49, 0x56, 0, 0, 0, 53, 0, 0]));
    expect(tag.subarray(20, 65).toString('latin1')).toBe('com.apple.streaming.transportStreamTimestamp\0');
    expect(tag.subarray(65)).toEqual(Buffer.from([0, 0, 0, 0, 0, 0x08, 0x40, 0x3f]));
  });

  it('keeps 33 bits and wraps beyond them, as MPEG-2 PTS do', () => {
    expect(readTransportStreamTimestamp(timestampTag(2 ** 33 - 1))).toBe(2 ** 33 - 1);
    expect(readTransportStreamTimestamp(timestampTag(2 ** 33 + 5))).toBe(5);
  });
});

describe('reading tags', () => {
  it('measures a tag and reads its timestamp back', () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xf1]), timestampTag(123456)]);
    expect(id3TagLength(bytes, 2)).toBe(73);
    expect(readTransportStreamTimestamp(bytes.subarray(2))).toBe(123456);
  });

  it('reads an ID3v2.3 PRIV frame (plain 32-bit frame size)', () => {
    const tag = timestampTag(42);
    tag[3] = 3;
    tag.writeUInt32BE(53, 14);
    expect(readTransportStreamTimestamp(tag)).toBe(42);
  });

  it('returns undefined for other tags and non-tags', () => {
    expect(id3TagLength(Buffer.from('TAG and more'), 0)).toBeUndefined();
    const text = Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x15TIT2\x00\x00\x00\x0b\x00\x00\x03Hello song', 'latin1');
    expect(id3TagLength(text, 0)).toBe(31);
    expect(readTransportStreamTimestamp(text)).toBeUndefined();
    const badSize = timestampTag(1);
    badSize[9] = 0x80; // not syncsafe
    expect(id3TagLength(badSize, 0)).toBeUndefined();
  });
});
