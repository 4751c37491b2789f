import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReadMediaPlaylist } from '../hls/parse.js';
import { type Box, childBoxes, findBox, PayloadReader, payloadOf, readBoxBytes, topLevelBoxes } from '../mp4/box.js';
import { describeSampleEntry } from '../mp4/sample-entry.js';
import type { Codec } from '../profiles/profile.js';
import type { FindingList } from './findings.js';

/** What the checks of an fMP4 variant measured, for the master and track.json checks. */
export interface MeasuredFragments {
  codec: Codec | undefined;
  codecs: string | undefined;
  sampleRate: number | undefined;
  channels: number | undefined;
  bytes: number;
  segments: { length: number; durationSec: number }[];
}

/** EXTINF against the samples a fragment presents: hlsaudio writes microseconds. */
const EXTINF_TOLERANCE_SEC = 0.001;

interface InitFacts {
  timescale: number;
  priming: number;
  presented: number;
  defaultDuration: number;
}

/**
 * Checks an fMP4 variant as deeply as packed audio: the file is a sequence of well-formed boxes;
 * EXT-X-MAP is exactly its `ftyp` and `moov` (one audio track, empty sample tables, `mvex`); the
 * segments' byte ranges follow the init segment, are contiguous and cover the file, each one `moof`
 * and one `mdat`; `trun` sample sizes fill the `mdat`; each `tfdt` is the priming plus the EXTINF
 * sum before it (the first is 0); each EXTINF is the samples the edit list presents of its fragment.
 */
export async function checkFragmentedVariant(outDir: string, playlist: string, mediaFile: string, model: ReadMediaPlaylist, lines: number[], findings: FindingList): Promise<MeasuredFragments | undefined> {
  const handle = await open(join(outDir, mediaFile), 'r');
  try {
    const { size } = await handle.stat();
    let boxes: Box[];
    try {
      boxes = await topLevelBoxes(handle, size);
    } catch (error) {
      findings.error('mp4-boxes', mediaFile, `not a sequence of MP4 boxes: ${(error as Error).message}`);
      return undefined;
    }
    const firstFragment = boxes.findIndex((box) => box.type === 'moof');
    const initEnd = firstFragment < 0 ? size : boxes[firstFragment]!.offset;
    const map = model.map;
    if (!map || map.offset !== 0 || map.length !== initEnd) {
      findings.error('init-range', playlist, `EXT-X-MAP ${map ? `${map.length}@${map.offset}` : 'is missing'}, but the init segment (ftyp, moov) is ${initEnd}@0 in ${mediaFile}`);
    }
    const moovBox = boxes.slice(0, Math.max(0, firstFragment)).find((box) => box.type === 'moov');
    if (!moovBox) {
      findings.error('init-range', mediaFile, 'no moov box before the first fragment');
      return undefined;
    }
    const moov = await readBoxBytes(handle, moovBox);
    let init: InitFacts & { codecs: string; codec: Codec | undefined; sampleRate: number; channels: number };
    try {
      init = readInit(moov);
    } catch (error) {
      findings.error('mp4-init', mediaFile, (error as Error).message);
      return undefined;
    }
    const measured: MeasuredFragments = { codec: init.codec, codecs: init.codecs, sampleRate: init.sampleRate, channels: init.channels, bytes: size, segments: [] };
    let expectedOffset = initEnd;
    let decodeTime = 0;
    let presentedBefore = 0;
    for (const [index, segment] of model.segments.entries()) {
      const line = lines[index];
      const name = `segment ${index + 1}`;
      const offset = segment.offset ?? expectedOffset;
      const length = segment.length ?? size - offset;
      if (offset !== expectedOffset) {
        findings.error(index === 0 ? 'byterange-coverage' : 'byterange-gap', playlist, `${name} starts at byte ${offset}, but ${index === 0 ? 'the init segment ends' : 'the segment before ends'} at byte ${expectedOffset}`, line);
      }
      expectedOffset = offset + length;
      const inRange = boxes.filter((box) => box.offset >= offset && box.offset < offset + length);
      if (inRange.length !== 2 || inRange[0]!.type !== 'moof' || inRange[1]!.type !== 'mdat' || inRange[0]!.offset !== offset || inRange[1]!.offset + inRange[1]!.size !== offset + length) {
        findings.error('fragment-range', playlist, `${name}: byte range ${length}@${offset} is not exactly one moof and one mdat (it holds ${inRange.map((box) => box.type).join(', ') || 'no box start'})`, line);
        measured.segments.push({ length, durationSec: segment.durationSec });
        continue;
      }
      const fragment = readFragment(await readBoxBytes(handle, inRange[0]!), inRange[1]!, init.defaultDuration);
      if (typeof fragment === 'string') {
        findings.error('fragment', playlist, `${name}: ${fragment}`, line);
        measured.segments.push({ length, durationSec: segment.durationSec });
        continue;
      }
      const expectedTfdt = index === 0 ? 0 : init.priming + Math.round(presentedBefore * init.timescale);
      if (Math.abs(fragment.decodeTime - expectedTfdt) > 1 || fragment.decodeTime !== decodeTime) {
        findings.error('tfdt', playlist, `${name}: tfdt ${fragment.decodeTime}, but the priming (${init.priming}) and the EXTINF values before it give ${expectedTfdt}, and the fragments before it end at ${decodeTime}`, line);
      }
      const start = Math.max(fragment.decodeTime, init.priming);
      const end = Math.min(fragment.decodeTime + fragment.duration, init.priming + init.presented);
      const durationSec = Math.max(0, end - start) / init.timescale;
      if (Math.abs(durationSec - segment.durationSec) > EXTINF_TOLERANCE_SEC) {
        findings.error('extinf', playlist, `${name}: EXTINF ${segment.durationSec} s, but its ${fragment.samples} samples present ${durationSec.toFixed(6)} s`, line);
      }
      decodeTime = fragment.decodeTime + fragment.duration;
      presentedBefore += segment.durationSec;
      measured.segments.push({ length, durationSec });
    }
    if (expectedOffset < size) findings.error('byterange-coverage', playlist, `bytes ${expectedOffset} to ${size - 1} of ${mediaFile} are in no segment (a segment is missing from the playlist?)`);
    if (decodeTime < init.priming + init.presented) {
      findings.error('fragment', mediaFile, `the fragments hold ${decodeTime} samples, fewer than the edit list's ${init.priming} + ${init.presented}`);
    }
    return measured;
  } finally {
    await handle.close();
  }
}

function readInit(moov: Uint8Array): InitFacts & { codecs: string; codec: Codec | undefined; sampleRate: number; channels: number } {
  const self = { type: 'moov', offset: 0, size: moov.length, headerSize: 8 };
  const traks = childBoxes(moov, self).filter((box) => box.type === 'trak');
  if (traks.length !== 1) throw new Error(`the init segment has ${traks.length} tracks; hlsaudio writes one`);
  const trak = traks[0]!;
  const need = (path: string[], within: Box = trak) => findBox(moov, path, within) ?? fail(`no ${path.join('/')} box in the init segment`);
  const stsd = need(['mdia', 'minf', 'stbl', 'stsd']);
  const entries = childBoxes(moov, stsd, 8);
  if (entries.length !== 1) throw new Error(`${entries.length} sample entries; expected one`);
  const entry = moov.subarray(entries[0]!.offset, entries[0]!.offset + entries[0]!.size);
  const stream = describeSampleEntry(entry);
  const stsz = new PayloadReader(payloadOf(moov, need(['mdia', 'minf', 'stbl', 'stsz'])));
  stsz.versionAndFlags();
  stsz.u32();
  if (stsz.u32() !== 0) throw new Error('the init segment\'s sample table holds samples; an fMP4 init segment holds none');
  const mdhd = new PayloadReader(payloadOf(moov, need(['mdia', 'mdhd'])));
  const { version } = mdhd.versionAndFlags();
  mdhd.skip(version === 1 ? 16 : 8);
  const timescale = mdhd.u32();
  const elst = new PayloadReader(payloadOf(moov, need(['edts', 'elst'])));
  const edit = elst.versionAndFlags();
  if (elst.u32() !== 1) throw new Error('the edit list has not exactly one entry');
  const presented = edit.version === 1 ? elst.u64() : elst.u32();
  const priming = edit.version === 1 ? elst.i64() : elst.i32();
  const mvex = findBox(moov, ['mvex'], self) ?? fail('no mvex box: not a fragmented MP4');
  const trex = new PayloadReader(payloadOf(moov, findBox(moov, ['trex'], mvex) ?? fail('no trex box')));
  trex.versionAndFlags();
  trex.skip(8);
  const defaultDuration = trex.u32();
  const codec: Codec | undefined = stream.codingName === 'fLaC' ? 'flac' : stream.codingName === 'mp4a' ? 'aac' : undefined;
  return { timescale, priming, presented, defaultDuration, codecs: stream.codecs, codec, sampleRate: stream.sampleRate, channels: stream.channels };
}

/** A fragment's decode time, sample count and duration, checked against its mdat; or what is wrong. */
function readFragment(moof: Uint8Array, mdat: Box, trexDuration: number): { decodeTime: number; samples: number; duration: number } | string {
  try {
    const self = { type: 'moof', offset: 0, size: moof.length, headerSize: 8 };
    const traf = findBox(moof, ['traf'], self) ?? fail('no traf');
    const tfhd = new PayloadReader(payloadOf(moof, findBox(moof, ['tfhd'], traf) ?? fail('no tfhd')));
    const { flags } = tfhd.versionAndFlags();
    tfhd.u32();
    if (flags & 0x01) tfhd.u64();
    if (flags & 0x02) tfhd.u32();
    const defaultDuration = flags & 0x08 ? tfhd.u32() : trexDuration;
    if (!(flags & 0x020000)) return 'tfhd is not default-base-is-moof';
    const tfdtBox = findBox(moof, ['tfdt'], traf) ?? fail('no tfdt');
    const tfdt = new PayloadReader(payloadOf(moof, tfdtBox));
    const decodeTime = tfdt.versionAndFlags().version === 1 ? tfdt.u64() : tfdt.u32();
    const trun = new PayloadReader(payloadOf(moof, findBox(moof, ['trun'], traf) ?? fail('no trun')));
    const run = trun.versionAndFlags();
    const samples = trun.u32();
    const dataOffset = run.flags & 0x01 ? trun.i32() : 0;
    if (run.flags & 0x04) trun.u32();
    let duration = 0;
    let bytes = 0;
    for (let i = 0; i < samples; i++) {
      duration += run.flags & 0x100 ? trun.u32() : defaultDuration;
      bytes += run.flags & 0x200 ? trun.u32() : 0;
      if (run.flags & 0x400) trun.u32();
      if (run.flags & 0x800) trun.u32();
    }
    if (dataOffset !== moof.length + mdat.headerSize) return `trun data offset ${dataOffset} does not point at the mdat payload (${moof.length + mdat.headerSize})`;
    if (bytes !== mdat.size - mdat.headerSize) return `trun sample sizes add up to ${bytes} bytes, the mdat holds ${mdat.size - mdat.headerSize}`;
    return { decodeTime, samples, duration };
  } catch (error) {
    return (error as Error).message;
  }
}

function fail(message: string): never {
  throw new Error(message);
}
