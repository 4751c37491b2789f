import { type Box, boxHeader, childBoxes, PayloadReader, payloadOf } from './box.js';
import { HlsaudioError } from '../errors.js';

/** What an audio sample entry says of its stream: the RFC 6381 CODECS value, rate, channels. */
export interface AudioStreamDescription {
  codingName: string;
  /** `mp4a.40.<audio object type>` for AAC, `fLaC` for FLAC. */
  codecs: string;
  sampleRate: number;
  channels: number;
  /** FLAC: bits per sample of the STREAMINFO. */
  bitsPerSample: number | undefined;
}

/** AudioSampleEntry fields before its child boxes (ISO/IEC 14496-12 12.2.3): 8 header + 28 bytes. */
const AUDIO_SAMPLE_ENTRY_FIELDS = 28;

/**
 * Reads an `mp4a` (with its `esds`, ISO/IEC 14496-14) or `fLaC` (with its `dfLa`, the FLAC-in-ISOBMFF
 * encapsulation) sample entry. The rate and channels come from the codec configuration
 * (AudioSpecificConfig, STREAMINFO), which decoders use, not from the entry's 16.16 field.
 */
export function describeSampleEntry(entry: Uint8Array): AudioStreamDescription {
  const self = boxHeader(entry, 0, entry.length);
  const children = childBoxes(entry, self, AUDIO_SAMPLE_ENTRY_FIELDS);
  const child = (type: string): Box => {
    const found = children.find((box) => box.type === type);
    if (!found) throw new HlsaudioError('E_BITSTREAM', `the ${self.type} sample entry has no ${type} box`);
    return found;
  };
  if (self.type === 'mp4a') return { codingName: 'mp4a', ...readEsds(payloadOf(entry, child('esds'))), bitsPerSample: undefined };
  if (self.type === 'fLaC') return { codingName: 'fLaC', codecs: 'fLaC', ...readDfla(payloadOf(entry, child('dfLa'))) };
  throw new HlsaudioError('E_BITSTREAM', `sample entry "${self.type}" is neither mp4a nor fLaC`);
}

const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** ES_Descriptor (tag 3) → DecoderConfigDescriptor (4, objectTypeIndication 0x40 = MPEG-4 audio) → AudioSpecificConfig (5). */
function readEsds(payload: Uint8Array): { codecs: string; sampleRate: number; channels: number } {
  const reader = new PayloadReader(payload);
  reader.versionAndFlags();
  const descriptor = (): { tag: number; end: number } => {
    const tag = reader.u8();
    let length = 0;
    for (let i = 0; i < 4; i++) {
      const byte = reader.u8();
      length = (length << 7) | (byte & 0x7f);
      if (!(byte & 0x80)) break;
    }
    return { tag, end: reader.at + length };
  };
  const es = descriptor();
  if (es.tag !== 3) throw new HlsaudioError('E_BITSTREAM', `esds starts with descriptor tag ${es.tag}, not an ES_Descriptor`);
  reader.u16();
  const flags = reader.u8();
  if (flags & 0x80) reader.u16(); // dependsOn_ES_ID
  if (flags & 0x40) reader.skip(reader.u8()); // URL
  if (flags & 0x20) reader.u16(); // OCR_ES_Id
  const config = descriptor();
  if (config.tag !== 4) throw new HlsaudioError('E_BITSTREAM', `esds has descriptor tag ${config.tag} where a DecoderConfigDescriptor belongs`);
  const objectTypeIndication = reader.u8();
  reader.skip(12);
  const specific = descriptor();
  if (specific.tag !== 5 || objectTypeIndication !== 0x40) throw new HlsaudioError('E_BITSTREAM', `esds describes object type 0x${objectTypeIndication.toString(16)} without an AudioSpecificConfig`);
  const asc = (reader.u8() << 8) | reader.u8();
  const audioObjectType = asc >>> 11;
  const rateIndex = (asc >>> 7) & 0x0f;
  const channelConfiguration = (asc >>> 3) & 0x0f;
  return { codecs: `mp4a.40.${audioObjectType}`, sampleRate: AAC_SAMPLE_RATES[rateIndex] ?? 0, channels: channelConfiguration };
}

/** dfLa: FLAC metadata blocks, the first being STREAMINFO (34 bytes). */
function readDfla(payload: Uint8Array): { sampleRate: number; channels: number; bitsPerSample: number } {
  const reader = new PayloadReader(payload);
  reader.versionAndFlags();
  const type = reader.u8() & 0x7f;
  const length = reader.u24();
  if (type !== 0 || length !== 34) throw new HlsaudioError('E_BITSTREAM', 'dfLa does not start with a STREAMINFO block');
  reader.skip(10); // block sizes and frame sizes
  const packed = reader.u32(); // sample rate (20), channels - 1 (3), bits per sample - 1 (5), 4 bits of the sample count
  return { sampleRate: packed >>> 12, channels: ((packed >>> 9) & 0x07) + 1, bitsPerSample: ((packed >>> 4) & 0x1f) + 1 };
}
