import { AAC_SAMPLE_RATES } from '../profiles/profile.js';

/** One ADTS frame header (ISO 14496-3 section 1.A.2.2). */
export interface AdtsHeader {
  /** Whole frame, header included, in bytes. */
  frameLength: number;
  headerLength: 7 | 9;
  /** Audio object type (profile + 1): 2 is AAC-LC. */
  objectType: number;
  sampleRate: number;
  channelConfiguration: number;
  /** PCM samples per channel the frame decodes to: 1024 per raw data block. */
  samples: number;
}

export const ADTS_MIN_HEADER_BYTES = 7;

/**
 * Parses the ADTS header at `offset`, or returns undefined when the bytes there are not one
 * (no sync word, reserved layer, unknown sample rate index, or a length shorter than its header).
 * The caller must supply at least ADTS_MIN_HEADER_BYTES bytes.
 */
export function parseAdtsHeader(buf: Uint8Array, offset: number): AdtsHeader | undefined {
  const b0 = buf[offset]!;
  const b1 = buf[offset + 1]!;
  if (b0 !== 0xff || (b1 & 0xf6) !== 0xf0) return undefined; // sync 0xFFF, layer 00
  const b2 = buf[offset + 2]!;
  const b3 = buf[offset + 3]!;
  const protectionAbsent = b1 & 0x01;
  const objectType = ((b2 >> 6) & 0x03) + 1;
  const sampleRate = AAC_SAMPLE_RATES[(b2 >> 2) & 0x0f];
  if (sampleRate === undefined) return undefined;
  const channelConfiguration = ((b2 & 0x01) << 2) | (b3 >> 6);
  const frameLength = ((b3 & 0x03) << 11) | (buf[offset + 4]! << 3) | (buf[offset + 5]! >> 5);
  const headerLength = protectionAbsent ? 7 : 9;
  if (frameLength <= headerLength) return undefined;
  const rawDataBlocks = (buf[offset + 6]! & 0x03) + 1;
  return { frameLength, headerLength, objectType, sampleRate, channelConfiguration, samples: 1024 * rawDataBlocks };
}
