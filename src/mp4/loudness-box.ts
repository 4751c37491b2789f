import { PayloadReader } from './box.js';
import { box, fullBox, u16, u24, u8 } from './write.js';
import { HlsaudioError } from '../errors.js';

/**
 * Loudness in an MP4 track: ISO/IEC 14496-12 section 12.2.7, a `ludt` box in the track's `udta`
 * holding a `tlou` (TrackLoudnessInfo, a LoudnessBaseBox), whose fields are coded as ISO/IEC
 * 23003-4 (MPEG-D DRC) codes loudnessInfo(): peaks as 20 - value/32 dB, loudness as
 * -57.75 + value/4 LUFS, loudness range in three steps.
 */
export interface TrackLoudnessFields {
  /** Program loudness (BS.1770-4 integrated), LUFS; null when the audio is too quiet to gate. */
  integratedLufs: number | null;
  /** EBU Tech 3342 loudness range, LU. */
  rangeLu: number | null;
  truePeakDbtp: number | null;
  samplePeakDbfs: number | null;
}

/** ISO/IEC 23003-4 methodDefinition values. */
const METHOD = { programLoudness: 1, loudnessRange: 6 } as const;
/** ISO/IEC 23003-4 measurementSystem values. */
const SYSTEM = { ebuR128: 1, bs1770_4: 2 } as const;
/** ISO/IEC 23003-4 reliability: 3 = "measured and accurate". */
const ACCURATE = 3;

/** `ludt` with one `tlou` (version 0: no EQ set) for the whole track (no downmix, no DRC set). */
export function loudnessBox(fields: TrackLoudnessFields): Buffer {
  const measurements: Buffer[] = [];
  if (fields.integratedLufs !== null) measurements.push(Buffer.from([METHOD.programLoudness, encodeLoudness(fields.integratedLufs), (SYSTEM.bs1770_4 << 4) | ACCURATE]));
  if (fields.rangeLu !== null) measurements.push(Buffer.from([METHOD.loudnessRange, encodeLoudnessRange(fields.rangeLu), (SYSTEM.ebuR128 << 4) | ACCURATE]));
  const truePeak = encodePeak(fields.truePeakDbtp);
  const tlou = fullBox(
    'tlou',
    0,
    0,
    u16(0), // reserved(3), downmix_ID(7), DRC_set_ID(6)
    u24((encodePeak(fields.samplePeakDbfs) << 12) | truePeak),
    u8(truePeak === 0 ? 0 : (SYSTEM.bs1770_4 << 4) | ACCURATE),
    u8(measurements.length),
    ...measurements,
  );
  return box('ludt', tlou);
}

/** The fields of a `tlou` payload (for `validate` and tests). */
export function readTrackLoudness(tlouPayload: Uint8Array): TrackLoudnessFields {
  const reader = new PayloadReader(tlouPayload);
  const { version } = reader.versionAndFlags();
  if (version !== 0) throw new HlsaudioError('E_BITSTREAM', `tlou version ${version}; hlsaudio reads version 0`);
  reader.u16();
  const peaks = reader.u24();
  reader.u8();
  const fields: TrackLoudnessFields = { integratedLufs: null, rangeLu: null, truePeakDbtp: decodePeak(peaks & 0xfff), samplePeakDbfs: decodePeak(peaks >>> 12) };
  for (let count = reader.u8(); count > 0; count--) {
    const method = reader.u8();
    const value = reader.u8();
    reader.u8();
    if (method === METHOD.programLoudness) fields.integratedLufs = -57.75 + value / 4;
    if (method === METHOD.loudnessRange) fields.rangeLu = decodeLoudnessRange(value);
  }
  return fields;
}

/** 12-bit peak level: 20 - value/32 dB, 0 meaning "not present"; clamped to what the field can hold. */
function encodePeak(db: number | null): number {
  if (db === null) return 0;
  return Math.min(4095, Math.max(1, Math.round((20 - db) * 32)));
}

function decodePeak(value: number): number | null {
  return value === 0 ? null : 20 - value / 32;
}

function encodeLoudness(lufs: number): number {
  return Math.min(255, Math.max(0, Math.round((lufs + 57.75) * 4)));
}

function encodeLoudnessRange(lu: number): number {
  if (lu <= 32) return Math.round(lu * 4);
  if (lu <= 70) return Math.round((lu + 32) * 2);
  return Math.min(255, Math.round(lu + 134));
}

function decodeLoudnessRange(value: number): number {
  if (value <= 128) return value / 4;
  if (value <= 204) return value / 2 - 32;
  return value - 134;
}
