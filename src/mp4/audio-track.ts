import { open } from 'node:fs/promises';
import { type Box, BoxError, childBoxes, findBox, PayloadReader, payloadOf, readBoxBytes, topLevelBoxes } from './box.js';

/** One coded sample (an AAC access unit, a FLAC frame) of a plain MP4 file. */
export interface TrackSample {
  offset: number;
  size: number;
  /** In the media timescale (the sample rate): samples per channel. */
  duration: number;
}

/** The one audio track of a plain (not fragmented) MP4 file, as an encoder wrote it. */
export interface AudioTrack {
  /** The `mdhd` timescale; hlsaudio's encoders use the sample rate. */
  timescale: number;
  /** The sample entry box (`mp4a`, `fLaC`) exactly as written, with its `esds` or `dfLa`. */
  sampleEntry: Buffer;
  /** Its four-character coding name. */
  codingName: string;
  channels: number;
  /** The edit list's media_time: samples of encoder priming before the first real sample (0 without an edit). */
  priming: number;
  samples: TrackSample[];
}

/**
 * Reads the sample table of a plain MP4 file with one audio track (what ffmpeg's mp4 muxer writes):
 * the sample entry, each sample's place, size and duration (`stsd`, `stts`, `stsz`, `stsc`,
 * `stco`/`co64`) and the priming its edit list skips. Only `moov` is read into memory.
 */
export async function readAudioTrack(file: string): Promise<AudioTrack> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const moovBox = (await topLevelBoxes(handle, size)).find((box) => box.type === 'moov');
    if (!moovBox) throw new BoxError('no moov box', 0);
    const moov = await readBoxBytes(handle, moovBox);
    const local = { ...moovBox, offset: 0 };
    const traks = childBoxes(moov, local).filter((box) => box.type === 'trak');
    if (traks.length !== 1) throw new BoxError(`${traks.length} tracks, expected one audio track`, moovBox.offset);
    return parseTrak(moov, traks[0]!);
  } finally {
    await handle.close();
  }
}

function parseTrak(moov: Uint8Array, trak: Box): AudioTrack {
  const need = (path: string[]): Box => {
    const box = findBox(moov, path, trak);
    if (!box) throw new BoxError(`no ${path.join('/')} box in the track`, trak.offset);
    return box;
  };
  const handler = new PayloadReader(payloadOf(moov, need(['mdia', 'hdlr'])));
  handler.versionAndFlags();
  handler.u32();
  if (handler.fourcc() !== 'soun') throw new BoxError('the track is not an audio track', trak.offset);
  const timescale = readTimescale(payloadOf(moov, need(['mdia', 'mdhd'])));
  const stbl = need(['mdia', 'minf', 'stbl']);
  const sampleEntry = readSampleEntry(moov, findBox(moov, ['stsd'], stbl));
  const durations = readStts(payloadOf(moov, findBox(moov, ['stts'], stbl) ?? fail('stts', stbl)));
  const sizes = readStsz(payloadOf(moov, findBox(moov, ['stsz'], stbl) ?? fail('stsz', stbl)));
  const chunkOffsets = readChunkOffsets(moov, stbl);
  const chunkRuns = readStsc(payloadOf(moov, findBox(moov, ['stsc'], stbl) ?? fail('stsc', stbl)));
  if (durations.length !== sizes.length) throw new BoxError(`stts describes ${durations.length} samples, stsz ${sizes.length}`, stbl.offset);
  const samples: TrackSample[] = [];
  let index = 0;
  chunkOffsets.forEach((chunkOffset, chunk) => {
    const run = chunkRuns.findLast((candidate) => candidate.firstChunk <= chunk + 1);
    let at = chunkOffset;
    for (let i = 0; i < (run?.samplesPerChunk ?? 0) && index < sizes.length; i++, index++) {
      samples.push({ offset: at, size: sizes[index]!, duration: durations[index]! });
      at += sizes[index]!;
    }
  });
  if (samples.length !== sizes.length) throw new BoxError(`the chunk tables place ${samples.length} of ${sizes.length} samples`, stbl.offset);
  const edit = findBox(moov, ['edts', 'elst'], trak);
  return {
    timescale,
    sampleEntry: Buffer.from(moov.subarray(sampleEntry.offset, sampleEntry.offset + sampleEntry.size)),
    codingName: sampleEntry.type,
    channels: new DataView(moov.buffer, moov.byteOffset).getUint16(sampleEntry.offset + 8 + 16),
    priming: edit ? readPriming(payloadOf(moov, edit)) : 0,
    samples,
  };
}

function fail(what: string, within: Box): never {
  throw new BoxError(`no ${what} box`, within.offset);
}

function readTimescale(mdhd: Uint8Array): number {
  const reader = new PayloadReader(mdhd);
  const { version } = reader.versionAndFlags();
  reader.skip(version === 1 ? 16 : 8);
  return reader.u32();
}

function readSampleEntry(moov: Uint8Array, stsd: Box | undefined): Box {
  if (!stsd) throw new BoxError('no stsd box', 0);
  const entries = childBoxes(moov, stsd, 8); // version, flags, entry_count
  if (entries.length !== 1) throw new BoxError(`${entries.length} sample entries, expected one`, stsd.offset);
  return entries[0]!;
}

function readStts(payload: Uint8Array): number[] {
  const reader = new PayloadReader(payload);
  reader.versionAndFlags();
  const durations: number[] = [];
  for (let entries = reader.u32(); entries > 0; entries--) {
    const count = reader.u32();
    const delta = reader.u32();
    for (let i = 0; i < count; i++) durations.push(delta);
  }
  return durations;
}

function readStsz(payload: Uint8Array): number[] {
  const reader = new PayloadReader(payload);
  reader.versionAndFlags();
  const fixed = reader.u32();
  const count = reader.u32();
  return Array.from({ length: count }, () => (fixed !== 0 ? fixed : reader.u32()));
}

function readStsc(payload: Uint8Array): { firstChunk: number; samplesPerChunk: number }[] {
  const reader = new PayloadReader(payload);
  reader.versionAndFlags();
  return Array.from({ length: reader.u32() }, () => {
    const firstChunk = reader.u32();
    const samplesPerChunk = reader.u32();
    reader.u32(); // sample_description_index
    return { firstChunk, samplesPerChunk };
  });
}

function readChunkOffsets(moov: Uint8Array, stbl: Box): number[] {
  const stco = findBox(moov, ['stco'], stbl);
  const co64 = findBox(moov, ['co64'], stbl);
  const box = stco ?? co64 ?? fail('stco or co64', stbl);
  const reader = new PayloadReader(payloadOf(moov, box));
  reader.versionAndFlags();
  return Array.from({ length: reader.u32() }, () => (box.type === 'co64' ? reader.u64() : reader.u32()));
}

/** media_time of the first edit that is not empty (an empty edit has -1). */
function readPriming(elst: Uint8Array): number {
  const reader = new PayloadReader(elst);
  const { version } = reader.versionAndFlags();
  for (let entries = reader.u32(); entries > 0; entries--) {
    if (version === 1) reader.u64();
    else reader.u32();
    const mediaTime = version === 1 ? reader.i64() : reader.i32();
    reader.u32(); // media_rate
    if (mediaTime >= 0) return mediaTime;
  }
  return 0;
}
