import { describe, expect, it } from 'vitest';
import { BoxError, childBoxes, findBox, PayloadReader, payloadOf, readBoxes } from '../../../src/mp4/box.js';
import { fragmentHeader, initSegment } from '../../../src/mp4/init-segment.js';
import { loudnessBox, readTrackLoudness } from '../../../src/mp4/loudness-box.js';
import { describeSampleEntry } from '../../../src/mp4/sample-entry.js';
import { box, fullBox, u16, u32 } from '../../../src/mp4/write.js';

/** An mp4a sample entry with an esds holding AudioSpecificConfig AAC-LC (2), 44.1 kHz (index 4), stereo. */
function mp4a(): Buffer {
  const asc = Buffer.from([(2 << 3) | (4 >> 1), ((4 & 1) << 7) | (2 << 3)]);
  const decoderSpecific = Buffer.concat([Buffer.from([5, asc.length]), asc]);
  const decoderConfig = Buffer.concat([Buffer.from([4, 13 + decoderSpecific.length, 0x40, 0x15, 0, 0, 0]), u32(128000), u32(128000), decoderSpecific]);
  const es = Buffer.concat([Buffer.from([3, 3 + decoderConfig.length + 3]), u16(1), Buffer.from([0]), decoderConfig, Buffer.from([6, 1, 2])]);
  return box('mp4a', Buffer.alloc(6), u16(1), Buffer.alloc(8), u16(2), u16(16), u16(0), u16(0), u32(44100 * 65536), fullBox('esds', 0, 0, es));
}

describe('init segment and fragments', () => {
  const init = initSegment({
    timescale: 44100,
    sampleEntry: mp4a(),
    priming: 1024,
    presentationSamples: 132300,
    encodedSamples: 134144,
    defaultSampleDuration: 1024,
    rollDistance: -1,
    loudness: { integratedLufs: -16.5, rangeLu: 7.25, truePeakDbtp: -1.03, samplePeakDbfs: -1.2 },
    gaplessRecord: true,
  });

  it('is ftyp then moov, with the edit list skipping the priming and lasting the source', () => {
    const top = readBoxes(init);
    expect(top.map((b) => b.type)).toEqual(['ftyp', 'moov']);
    const moov = top[1]!;
    expect(childBoxes(init, moov).map((b) => b.type)).toEqual(['mvhd', 'trak', 'mvex', 'udta']);
    const elst = new PayloadReader(payloadOf(init, findBox(init, ['trak', 'edts', 'elst'], moov)!));
    elst.versionAndFlags();
    expect([elst.u32(), elst.u32(), elst.i32(), elst.u16()]).toEqual([1, 132300, 1024, 1]);
    const sgpd = payloadOf(init, findBox(init, ['trak', 'mdia', 'minf', 'stbl', 'sgpd'], moov)!);
    expect([...sgpd.subarray(4, 8)].map((c) => String.fromCharCode(c)).join('')).toBe('roll');
    expect(new DataView(sgpd.buffer, sgpd.byteOffset).getInt16(sgpd.length - 2)).toBe(-1);
    expect(init.toString('latin1')).toContain(' 00000000 00000400 00000334 00000000000204CC');
  });

  it('describes its sample entry: CODECS, rate and channels from the AudioSpecificConfig', () => {
    expect(describeSampleEntry(mp4a())).toEqual({ codingName: 'mp4a', codecs: 'mp4a.40.2', sampleRate: 44100, channels: 2, bitsPerSample: undefined });
  });

  it('carries the loudness in ludt/tlou, coded as ISO/IEC 23003-4 codes it', () => {
    const moov = readBoxes(init)[1]!;
    const tlou = findBox(init, ['trak', 'udta', 'ludt', 'tlou'], moov)!;
    expect(readTrackLoudness(payloadOf(init, tlou))).toEqual({ integratedLufs: -16.5, rangeLu: 7.25, truePeakDbtp: -1.03125, samplePeakDbfs: -1.1875 });
    // Loudness range past 32 LU takes the coarser steps.
    const wide = loudnessBox({ integratedLufs: null, rangeLu: 40, truePeakDbtp: null, samplePeakDbfs: null });
    expect(readTrackLoudness(wide.subarray(16))).toEqual({ integratedLufs: null, rangeLu: 40, truePeakDbtp: null, samplePeakDbfs: null });
  });

  it('writes a fragment whose trun points at its samples and states per-sample durations only when they differ', () => {
    const uniform = fragmentHeader({ sequenceNumber: 2, baseMediaDecodeTime: 265216, sampleSizes: [10, 20, 30], sampleDurations: [1024, 1024, 1024], defaultSampleDuration: 1024, roll: true });
    const [moof, mdat] = readBoxes(uniform, 0, uniform.length - 8).concat([{ type: uniform.toString('latin1', uniform.length - 4), offset: uniform.length - 8, size: uniform.readUInt32BE(uniform.length - 8), headerSize: 8 }]);
    expect([moof!.type, mdat!.type, mdat!.size]).toEqual(['moof', 'mdat', 68]);
    const traf = findBox(uniform, ['traf'], moof)!;
    expect(childBoxes(uniform, traf).map((b) => b.type)).toEqual(['tfhd', 'tfdt', 'trun', 'sbgp']);
    const trun = new PayloadReader(payloadOf(uniform, findBox(uniform, ['trun'], traf)!));
    expect(trun.versionAndFlags().flags).toBe(0x201);
    expect([trun.u32(), trun.i32(), trun.u32(), trun.u32(), trun.u32()]).toEqual([3, moof!.size + 8, 10, 20, 30]);
    const last = fragmentHeader({ sequenceNumber: 3, baseMediaDecodeTime: 0, sampleSizes: [5, 5], sampleDurations: [1024, 884], defaultSampleDuration: 1024, roll: false });
    const lastMoof = last.subarray(0, last.readUInt32BE(0)); // the mdat header's samples are not in the buffer
    const lastTrun = new PayloadReader(payloadOf(lastMoof, findBox(lastMoof, ['moof', 'traf', 'trun'])!));
    expect(lastTrun.versionAndFlags().flags).toBe(0x301);
    expect([lastTrun.u32(), lastTrun.i32(), lastTrun.u32(), lastTrun.u32(), lastTrun.u32(), lastTrun.u32()].slice(2)).toEqual([1024, 5, 884, 5]);
  });

  it('refuses boxes that run past their parent or are shorter than their header', () => {
    const bad = Buffer.concat([u32(100), Buffer.from('moov')]);
    expect(() => readBoxes(bad)).toThrow(BoxError);
    expect(() => readBoxes(bad)).toThrow('box "moov" of 100 bytes runs 92 bytes past the end of its parent');
    expect(() => readBoxes(Buffer.concat([u32(4), Buffer.from('free')]))).toThrow('box "free" declares 4 bytes, less than its own header');
  });
});
