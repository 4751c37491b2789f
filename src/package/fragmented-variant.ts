import { HlsaudioError } from '../errors.js';
import { planSegments } from '../hls/segmenter.js';
import { readAudioTrack } from '../mp4/audio-track.js';
import { type FragmentSegment, writeFragmentedFile } from '../mp4/fragmented-file.js';
import type { TrackLoudnessFields } from '../mp4/loudness-box.js';
import { describeSampleEntry } from '../mp4/sample-entry.js';
import type { AdaptiveProfile } from '../profiles/profile.js';

export interface FragmentedVariant {
  segments: FragmentSegment[];
  init: { offset: number; length: number };
  codecs: string;
  sampleRate: number;
  channels: number;
  bitsPerSample: number | undefined;
  boundaryDriftSamples: number;
}

export interface FragmentedVariantOptions {
  segmentDurationSec: number;
  tailMergeMaxSec: number;
  /** The source's length in the variant's samples: what the edit list presents. */
  presentationSamples: number;
  loudness: TrackLoudnessFields | undefined;
  /** For messages: the source file as shown to the user. */
  displayFile: string;
}

/**
 * Turns the encoder's plain MP4 (`encodedFile`) into the variant's fragmented MP4 (`mediaFile`):
 * segments cut at the frame nearest each multiple of the target duration counted from the first
 * presented sample, the priming left in and skipped by the edit list, AAC marked with roll
 * recovery -1. Checks the encoded stream against the profile first.
 */
export async function fragmentVariant(profile: AdaptiveProfile, encodedFile: string, mediaFile: string, expectedSampleRate: number, options: FragmentedVariantOptions): Promise<FragmentedVariant> {
  const track = await readAudioTrack(encodedFile).catch((cause: unknown) => {
    throw new HlsaudioError('E_BITSTREAM', `${options.displayFile}: encoding ${profile.quality_id} wrote an MP4 hlsaudio cannot read (${(cause as Error).message})`, { cause });
  });
  const stream = describeSampleEntry(track.sampleEntry);
  if (stream.sampleRate !== expectedSampleRate || stream.channels !== profile.channels || track.timescale !== expectedSampleRate) {
    throw new HlsaudioError(
      'E_BITSTREAM',
      `${options.displayFile}: encoding ${profile.quality_id} produced ${stream.sampleRate} Hz, ${stream.channels} channels (timescale ${track.timescale}); the profile asks for ${expectedSampleRate} Hz, ${profile.channels} channels`,
    );
  }
  if (track.samples.length === 0) throw new HlsaudioError('E_BITSTREAM', `${options.displayFile}: encoding ${profile.quality_id} produced no audio frames`);
  const plan = planSegments(
    track.samples.map((sample) => ({ offset: sample.offset, length: sample.size, samples: sample.duration })),
    expectedSampleRate,
    { segmentDurationSec: options.segmentDurationSec, tailMergeMaxSec: options.tailMergeMaxSec, presentationOffsetSamples: track.priming },
  );
  const file = await writeFragmentedFile(track, encodedFile, mediaFile, plan, {
    presentationSamples: options.presentationSamples,
    rollDistance: profile.codec === 'aac' ? -1 : undefined,
    loudness: options.loudness,
  });
  return {
    segments: file.segments,
    init: file.init,
    codecs: stream.codecs,
    sampleRate: stream.sampleRate,
    channels: stream.channels,
    bitsPerSample: stream.bitsPerSample,
    boundaryDriftSamples: plan.maxBoundaryDriftSamples,
  };
}
