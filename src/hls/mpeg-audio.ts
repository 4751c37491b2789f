/** One MPEG-1/2/2.5 audio frame header (ISO 11172-3, ISO 13818-3). */
export interface MpegAudioHeader {
  version: 'mpeg1' | 'mpeg2' | 'mpeg25';
  layer: 1 | 2 | 3;
  bitrateKbps: number;
  sampleRate: number;
  channels: 1 | 2;
  /** Whole frame, header included, in bytes. */
  frameLength: number;
  /** PCM samples per channel: 384 (layer I), 1152 (layer II, MPEG-1 layer III), 576 (LSF layer III). */
  samples: number;
  hasCrc: boolean;
}

export const MPEG_AUDIO_HEADER_BYTES = 4;

const BITRATES_KBPS = {
  mpeg1: {
    1: [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    2: [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    3: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  },
  lsf: {
    1: [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    3: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  },
} as const;

const SAMPLE_RATES = { mpeg1: [44100, 48000, 32000], mpeg2: [22050, 24000, 16000], mpeg25: [11025, 12000, 8000] } as const;
const VERSIONS = ['mpeg25', undefined, 'mpeg2', 'mpeg1'] as const;
const LAYERS = [undefined, 3, 2, 1] as const;

/**
 * Parses the MPEG audio frame header at `offset`, or returns undefined when the bytes there are not
 * one. Free-format frames (bit rate index 0) have no length in their header and are refused too.
 * The caller must supply at least MPEG_AUDIO_HEADER_BYTES bytes.
 */
export function parseMpegAudioHeader(buf: Uint8Array, offset: number): MpegAudioHeader | undefined {
  const b1 = buf[offset + 1]!;
  if (buf[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const version = VERSIONS[(b1 >> 3) & 0x03];
  const layer = LAYERS[(b1 >> 1) & 0x03];
  if (!version || !layer) return undefined;
  const b2 = buf[offset + 2]!;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 0x03;
  if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const bitrateKbps = BITRATES_KBPS[version === 'mpeg1' ? 'mpeg1' : 'lsf'][layer][bitrateIndex]!;
  const sampleRate = SAMPLE_RATES[version][rateIndex]!;
  const padding = (b2 >> 1) & 0x01;
  const channels = buf[offset + 3]! >> 6 === 3 ? 1 : 2;
  let frameLength: number;
  let samples: number;
  if (layer === 1) {
    frameLength = (Math.floor((12 * bitrateKbps * 1000) / sampleRate) + padding) * 4;
    samples = 384;
  } else if (layer === 2 || version === 'mpeg1') {
    frameLength = Math.floor((144 * bitrateKbps * 1000) / sampleRate) + padding;
    samples = 1152;
  } else {
    frameLength = Math.floor((72 * bitrateKbps * 1000) / sampleRate) + padding;
    samples = 576;
  }
  return { version, layer, bitrateKbps, sampleRate, channels, frameLength, samples, hasCrc: (b1 & 0x01) === 0 };
}

/**
 * A Xing, Info or VBRI frame is a silent frame that carries stream information instead of audio;
 * it does not belong in an HLS segment. `frame` holds the whole frame starting at its header.
 */
export function isInfoFrame(frame: Uint8Array, header: MpegAudioHeader): boolean {
  const sideInfo = header.version === 'mpeg1' ? (header.channels === 1 ? 17 : 32) : header.channels === 1 ? 9 : 17;
  const xingAt = 4 + (header.hasCrc ? 2 : 0) + sideInfo;
  const tag = (at: number) => String.fromCharCode(...frame.subarray(at, at + 4));
  return tag(xingAt) === 'Xing' || tag(xingAt) === 'Info' || tag(36) === 'VBRI';
}
