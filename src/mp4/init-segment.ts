import { loudnessBox, type TrackLoudnessFields } from './loudness-box.js';
import { box, fourcc, fullBox, i16, i32, u16, u32, u64, UNITY_MATRIX } from './write.js';

export interface InitSegmentOptions {
  /** Media and movie timescale: the sample rate, so that durations and edits count samples. */
  timescale: number;
  /** The sample entry (`mp4a` with `esds`, `fLaC` with `dfLa`) copied from the encoder's file. */
  sampleEntry: Buffer;
  /** Samples of the encoder's priming before the first real sample: the edit list skips them. */
  priming: number;
  /** Samples presented: the source's length, so the edit also drops the encoder's end padding. */
  presentationSamples: number;
  /** Samples the encoder wrote (priming, audio, end padding). */
  encodedSamples: number;
  /** Samples per coded frame (1024 for AAC-LC, the FLAC block size): `trex`'s default. */
  defaultSampleDuration: number;
  /** ISO/IEC 14496-12 audio roll recovery: -1 for AAC, whose frames overlap; undefined for none. */
  rollDistance: number | undefined;
  loudness: TrackLoudnessFields | undefined;
  /**
   * Also write Apple's iTunSMPB gapless record (priming, padding, length) in the movie's `udta`.
   * ffmpeg's mov demuxer (4.1 to 7) ignores the edit list of a fragmented file but skips an AAC
   * track's iTunSMPB priming, through its HLS demuxer too (docs/design-notes.md, "fMP4").
   */
  gaplessRecord: boolean;
}

const TRACK_ID = 1;

/**
 * The Media Initialization Section of a one-track fragmented MP4 (RFC 8216 section 3.3): `ftyp`
 * and a `moov` with empty sample tables and `mvex`. Its edit list says where the audio starts
 * (media_time = the priming) and how long it lasts, so decoders that honour it play the source
 * sample for sample, and the loudness goes in the track's `udta` (ISO/IEC 14496-12 12.2.7).
 */
export function initSegment(options: InitSegmentOptions): Buffer {
  const { timescale, presentationSamples } = options;
  const ftyp = box('ftyp', fourcc('iso6'), u32(0), fourcc('iso6'), fourcc('cmfc'));
  const mvhd = fullBox('mvhd', 0, 0, u32(0), u32(0), u32(timescale), u32(presentationSamples), u32(0x00010000), u16(0x0100), Buffer.alloc(10), UNITY_MATRIX, Buffer.alloc(24), u32(TRACK_ID + 1));
  const tkhd = fullBox('tkhd', 0, 0x000003, u32(0), u32(0), u32(TRACK_ID), u32(0), u32(presentationSamples), Buffer.alloc(8), u16(0), u16(1), u16(0x0100), u16(0), UNITY_MATRIX, u32(0), u32(0));
  const elst = fullBox('elst', 0, 0, u32(1), u32(presentationSamples), i32(options.priming), u16(1), u16(0));
  const mdhd = fullBox('mdhd', 0, 0, u32(0), u32(0), u32(timescale), u32(0), u16(0x55c4 /* "und" */), u16(0));
  const hdlr = fullBox('hdlr', 0, 0, u32(0), fourcc('soun'), Buffer.alloc(12), Buffer.from('SoundHandler\0', 'latin1'));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  const rolls = options.rollDistance === undefined ? [] : [fullBox('sgpd', 1, 0, fourcc('roll'), u32(2), u32(1), i16(options.rollDistance))];
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), options.sampleEntry),
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0), u32(0)),
    fullBox('stco', 0, 0, u32(0)),
    ...rolls,
  );
  const minf = box('minf', fullBox('smhd', 0, 0, u16(0), u16(0)), dinf, stbl);
  const udta = options.loudness ? [box('udta', loudnessBox(options.loudness))] : [];
  const trak = box('trak', tkhd, box('edts', elst), box('mdia', mdhd, hdlr, minf), ...udta);
  const mvex = box('mvex', fullBox('mehd', 0, 0, u32(presentationSamples)), fullBox('trex', 0, 0, u32(TRACK_ID), u32(1), u32(options.defaultSampleDuration), u32(0), u32(0)));
  // After the trak: ffmpeg applies iTunSMPB to the last track it has read.
  const movieUdta = options.gaplessRecord ? [box('udta', gaplessRecord(options.priming, options.encodedSamples - options.priming - presentationSamples, presentationSamples))] : [];
  return Buffer.concat([ftyp, box('moov', mvhd, trak, mvex, ...movieUdta)]);
}

/**
 * iTunes' gapless metadata: `meta`/`ilst`/`----` named com.apple.iTunes:iTunSMPB, whose text is
 * " 00000000 <priming> <padding> <original sample count> 00000000 x 8" in hexadecimal.
 */
function gaplessRecord(priming: number, padding: number, samples: number): Buffer {
  const hex = (value: number, digits: number) => Math.max(0, value).toString(16).toUpperCase().padStart(digits, '0');
  const text = ` 00000000 ${hex(priming, 8)} ${hex(padding, 8)} ${hex(samples, 16)}${' 00000000'.repeat(8)}`;
  const freeform = box(
    '----',
    fullBox('mean', 0, 0, Buffer.from('com.apple.iTunes', 'latin1')),
    fullBox('name', 0, 0, Buffer.from('iTunSMPB', 'latin1')),
    box('data', u32(1 /* UTF-8 */), u32(0), Buffer.from(text, 'latin1')),
  );
  const handler = fullBox('hdlr', 0, 0, u32(0), fourcc('mdir'), fourcc('appl'), Buffer.alloc(9));
  return fullBox('meta', 0, 0, handler, box('ilst', freeform));
}

export interface FragmentOptions {
  sequenceNumber: number;
  /** Decode time of the fragment's first sample, in the media timescale (priming included). */
  baseMediaDecodeTime: number;
  sampleSizes: readonly number[];
  sampleDurations: readonly number[];
  defaultSampleDuration: number;
  /** Whether the init segment declares a roll group (each fragment then maps its samples to it). */
  roll: boolean;
}

/**
 * The `moof` and the `mdat` header of one fragment: the samples' bytes follow it. Durations are
 * written per sample only when they differ from the default (a short last FLAC block).
 */
export function fragmentHeader(options: FragmentOptions): Buffer {
  const { sampleSizes, sampleDurations, defaultSampleDuration } = options;
  const uniform = sampleDurations.every((duration) => duration === defaultSampleDuration);
  const tfhd = fullBox('tfhd', 0, 0x020000 | 0x000008, u32(TRACK_ID), u32(defaultSampleDuration)); // default-base-is-moof, default duration
  const tfdt = fullBox('tfdt', 1, 0, u64(options.baseMediaDecodeTime));
  const sbgp = options.roll ? [fullBox('sbgp', 0, 0, fourcc('roll'), u32(1), u32(sampleSizes.length), u32(1))] : [];
  const moof = (dataOffset: number) => {
    const entries = sampleSizes.map((size, index) => (uniform ? u32(size) : Buffer.concat([u32(sampleDurations[index]!), u32(size)])));
    const trun = fullBox('trun', 0, 0x000001 | 0x000200 | (uniform ? 0 : 0x000100), u32(sampleSizes.length), i32(dataOffset), ...entries);
    return box('moof', fullBox('mfhd', 0, 0, u32(options.sequenceNumber)), box('traf', tfhd, tfdt, trun, ...sbgp));
  };
  const size = moof(0).length;
  const mdatBytes = sampleSizes.reduce((sum, sampleSize) => sum + sampleSize, 0);
  return Buffer.concat([moof(size + 8), u32(8 + mdatBytes), fourcc('mdat')]);
}
