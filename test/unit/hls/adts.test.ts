import { describe, expect, it } from 'vitest';
import { parseAdtsHeader } from '../../../src/hls/adts.js';

/** Builds an ADTS header from its fields (ISO 14496-3 1.A.2.2), for cases ffmpeg never writes. */
export function adtsHeader({ objectType = 2, rateIndex = 4, channels = 2, frameLength = 200, blocks = 1, crc = false } = {}): Uint8Array {
  const h = new Uint8Array(crc ? 9 : 7);
  h[0] = 0xff;
  h[1] = 0xf0 | (crc ? 0 : 1);
  h[2] = ((objectType - 1) << 6) | (rateIndex << 2) | (channels >> 2);
  h[3] = ((channels & 3) << 6) | (frameLength >> 11);
  h[4] = (frameLength >> 3) & 0xff;
  h[5] = ((frameLength & 7) << 5) | 0x1f;
  h[6] = 0xfc | (blocks - 1);
  return h;
}

describe('parseAdtsHeader', () => {
  it('reads a header ffmpeg wrote (AAC-LC, 44.1 kHz, stereo)', () => {
    const bytes = Uint8Array.from([0xff, 0xf1, 0x50, 0x80, 0x67, 0xff, 0xfc]);
    expect(parseAdtsHeader(bytes, 0)).toEqual({
      frameLength: 831,
      headerLength: 7,
      objectType: 2,
      sampleRate: 44100,
      channelConfiguration: 2,
      samples: 1024,
    });
  });

  it('reads a 22.05 kHz mono header ffmpeg wrote', () => {
    const header = parseAdtsHeader(Uint8Array.from([0xff, 0xf1, 0x5c, 0x40, 0x3d, 0x9f, 0xfc]), 0);
    expect(header).toMatchObject({ sampleRate: 22050, channelConfiguration: 1, frameLength: 492 });
  });

  it('counts 1024 samples per raw data block and a 9-byte header with CRC', () => {
    expect(parseAdtsHeader(adtsHeader({ blocks: 3, crc: true, frameLength: 900 }), 0)).toMatchObject({ samples: 3072, headerLength: 9, frameLength: 900 });
  });

  it('reads the header at an offset', () => {
    const bytes = new Uint8Array(20);
    bytes.set(adtsHeader({ rateIndex: 3, frameLength: 321 }), 11);
    expect(parseAdtsHeader(bytes, 11)).toMatchObject({ sampleRate: 48000, frameLength: 321 });
  });

  it('refuses what is not an ADTS header', () => {
    expect(parseAdtsHeader(Uint8Array.from([0x49, 0x44, 0x33, 4, 0, 0, 0]), 0)).toBeUndefined(); // "ID3"
    expect(parseAdtsHeader(Uint8Array.from([0xff, 0xfb, 0x90, 0x64, 0, 0, 0]), 0)).toBeUndefined(); // MPEG audio, layer bits set
    expect(parseAdtsHeader(adtsHeader({ rateIndex: 13 }), 0)).toBeUndefined(); // reserved sample rate index
    expect(parseAdtsHeader(adtsHeader({ frameLength: 7 }), 0)).toBeUndefined(); // no payload
  });
});
