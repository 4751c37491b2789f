import { describe, expect, it } from 'vitest';
import { isInfoFrame, parseMpegAudioHeader } from '../../../src/hls/mpeg-audio.js';

describe('parseMpegAudioHeader', () => {
  it('reads an MPEG-1 layer III header (44.1 kHz, 192 kbps, stereo)', () => {
    expect(parseMpegAudioHeader(Uint8Array.from([0xff, 0xfb, 0xb0, 0x64]), 0)).toEqual({
      version: 'mpeg1',
      layer: 3,
      bitrateKbps: 192,
      sampleRate: 44100,
      channels: 2,
      frameLength: 626,
      samples: 1152,
      hasCrc: false,
    });
  });

  it('reads an MPEG-2 LSF layer III header (22.05 kHz, 128 kbps): 576 samples, 72 x bitrate / rate bytes', () => {
    expect(parseMpegAudioHeader(Uint8Array.from([0xff, 0xf3, 0xc0, 0x64]), 0)).toEqual({
      version: 'mpeg2',
      layer: 3,
      bitrateKbps: 128,
      sampleRate: 22050,
      channels: 2,
      frameLength: 417,
      samples: 576,
      hasCrc: false,
    });
  });

  it('adds the padding byte and reads mono', () => {
    // 22.05 kHz, 64 kbps, padding bit set, channel mode 3 (mono)
    expect(parseMpegAudioHeader(Uint8Array.from([0xff, 0xf3, 0x82, 0xc4]), 0)).toMatchObject({ frameLength: 209, channels: 1, bitrateKbps: 64 });
  });

  it('reads MPEG-2.5 and layers I and II', () => {
    expect(parseMpegAudioHeader(Uint8Array.from([0xff, 0xe3, 0x44, 0x00]), 0)).toMatchObject({ version: 'mpeg25', sampleRate: 12000, samples: 576 });
    expect(parseMpegAudioHeader(Uint8Array.from([0xff, 0xfd, 0x90, 0x00]), 0)).toMatchObject({ layer: 2, samples: 1152, frameLength: 522 });
    expect(parseMpegAudioHeader(Uint8Array.from([0xff, 0xff, 0x90, 0x00]), 0)).toMatchObject({ layer: 1, samples: 384, frameLength: 312 });
  });

  it('refuses free format, bad bit rate, reserved rate, version and layer', () => {
    for (const bytes of [
      [0xff, 0xfb, 0x00, 0x00], // free format
      [0xff, 0xfb, 0xf0, 0x00], // bit rate index 15
      [0xff, 0xfb, 0x9c, 0x00], // sample rate index 3
      [0xff, 0xeb, 0x90, 0x00], // version 01 (reserved)
      [0xff, 0xf9, 0x90, 0x00], // layer 00 (reserved)
      [0xff, 0xf1, 0x50, 0x80], // an ADTS header
    ]) {
      expect(parseMpegAudioHeader(Uint8Array.from(bytes), 0)).toBeUndefined();
    }
  });
});

describe('isInfoFrame', () => {
  it('finds the Info tag ffmpeg writes after the side information', () => {
    const frame = new Uint8Array(626);
    frame.set([0xff, 0xfb, 0xb0, 0x00]);
    frame.set(new TextEncoder().encode('Info'), 36);
    expect(isInfoFrame(frame, parseMpegAudioHeader(frame, 0)!)).toBe(true);
  });

  it('finds Xing in an LSF mono frame and not in an audio frame', () => {
    const frame = new Uint8Array(209);
    frame.set([0xff, 0xf3, 0x82, 0xc4]);
    const header = parseMpegAudioHeader(frame, 0)!;
    expect(isInfoFrame(frame, header)).toBe(false);
    frame.set(new TextEncoder().encode('Xing'), 4 + 9);
    expect(isInfoFrame(frame, header)).toBe(true);
  });
});
