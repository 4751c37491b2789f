import { open } from 'node:fs/promises';
import type { SegmentPlan } from '../hls/segmenter.js';
import type { AudioTrack } from './audio-track.js';
import { fragmentHeader, initSegment } from './init-segment.js';
import type { TrackLoudnessFields } from './loudness-box.js';
import { HlsaudioError } from '../errors.js';

/** A fragment as written into the variant's one media file. */
export interface FragmentSegment {
  /** Byte range in the media file: `moof`, `mdat` header, the samples. */
  offset: number;
  length: number;
  /** First presented sample of the segment (the edit list's timeline: 0 is the source's first sample). */
  startSample: number;
  /** Presented duration: the samples inside the edit (the first segment loses the priming, the last the end padding). */
  durationSec: number;
  /** `tfdt`: decode time of the fragment's first sample in the media timescale, priming included. */
  decodeTime: number;
  sampleCount: number;
}

export interface FragmentedFile {
  /** The Media Initialization Section (EXT-X-MAP): `ftyp` and `moov`, at the start of the file. */
  init: { offset: number; length: number };
  segments: FragmentSegment[];
  /** Samples the edit list presents. */
  presentationSamples: number;
}

export interface FragmentedFileOptions {
  /** The source's length at the track's rate; more than the encoded samples allow is cut to them. */
  presentationSamples: number;
  /** -1 for AAC (ISO/IEC 14496-12 roll recovery: a frame needs the one before it), undefined for none. */
  rollDistance: number | undefined;
  loudness: TrackLoudnessFields | undefined;
}

/**
 * Writes one variant as a fragmented MP4 file: the init segment, then one `moof`+`mdat` per planned
 * segment, the samples copied from the encoder's plain MP4 (`trackFile`, read as `track`). The
 * priming is not cut from the audio: the edit list skips it.
 */
export async function writeFragmentedFile(track: AudioTrack, trackFile: string, outPath: string, plan: SegmentPlan, options: FragmentedFileOptions): Promise<FragmentedFile> {
  const encoded = track.samples.reduce((sum, sample) => sum + sample.duration, 0);
  const presentationSamples = Math.max(0, Math.min(options.presentationSamples, encoded - track.priming));
  const defaultSampleDuration = track.samples[0]?.duration ?? 0;
  const init = initSegment({
    timescale: track.timescale,
    sampleEntry: track.sampleEntry,
    priming: track.priming,
    presentationSamples,
    encodedSamples: encoded,
    defaultSampleDuration,
    rollDistance: options.rollDistance,
    loudness: options.loudness,
    gaplessRecord: track.codingName === 'mp4a' && track.priming > 0,
  });
  const source = await open(trackFile, 'r');
  const target = await open(outPath, 'w');
  try {
    await target.write(init);
    const segments: FragmentSegment[] = [];
    let offset = init.length;
    const presentationEnd = track.priming + presentationSamples;
    for (const [index, segment] of plan.segments.entries()) {
      const samples = track.samples.slice(segment.firstFrame, segment.firstFrame + segment.frameCount);
      const header = fragmentHeader({
        sequenceNumber: index + 1,
        baseMediaDecodeTime: segment.startSample,
        sampleSizes: samples.map((sample) => sample.size),
        sampleDurations: samples.map((sample) => sample.duration),
        defaultSampleDuration,
        roll: options.rollDistance !== undefined,
      });
      const data = Buffer.allocUnsafe(segment.esLength);
      const { bytesRead } = await source.read(data, 0, segment.esLength, segment.esOffset);
      if (bytesRead !== segment.esLength) throw new HlsaudioError('E_BITSTREAM', `${trackFile}: ended at byte ${segment.esOffset + bytesRead}`);
      await target.writev([header, data]);
      const firstPresented = Math.min(Math.max(segment.startSample, track.priming), presentationEnd);
      const lastPresented = Math.min(Math.max(segment.startSample + segment.samples, track.priming), presentationEnd);
      segments.push({
        offset,
        length: header.length + data.length,
        startSample: firstPresented - track.priming,
        durationSec: (lastPresented - firstPresented) / track.timescale,
        decodeTime: segment.startSample,
        sampleCount: samples.length,
      });
      offset += header.length + data.length;
    }
    await target.sync();
    return { init: { offset: 0, length: init.length }, segments, presentationSamples };
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}
