import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { HlsaudioError } from '../errors.js';
import { PTS_CLOCK_HZ, timestampTag } from './id3.js';
import type { SegmentPlan } from './segmenter.js';

/** A segment as written into the variant's one media file. */
export interface PackedSegment {
  /** Byte range in the media file: the ID3 tag, then the segment's frames. */
  offset: number;
  length: number;
  startSample: number;
  durationSec: number;
  /** The transportStreamTimestamp written in the segment's ID3 tag, 90 kHz ticks. */
  pts90kHz: number;
}

/** A media file as packSegments wrote it. */
export interface PackedFile {
  segments: PackedSegment[];
  /** SHA-256 of the file's bytes (hex), hashed as they were written: the file's content-addressed name comes from it. */
  sha256: string;
}

/**
 * Writes the variant's media file (RFC 8216 section 3.4 packed audio): for each planned segment an
 * ID3 PRIV transportStreamTimestamp tag, then the segment's frames copied from the encoder's
 * elementary stream. Ranges follow each other and cover the whole file.
 */
export async function packSegments(esPath: string, outPath: string, plan: SegmentPlan, sampleRate: number): Promise<PackedFile> {
  const source = await open(esPath, 'r');
  const target = await open(outPath, 'w');
  try {
    const packed: PackedSegment[] = [];
    const hash = createHash('sha256');
    let offset = 0;
    for (const segment of plan.segments) {
      const pts90kHz = Math.round((segment.startSample * PTS_CLOCK_HZ) / sampleRate);
      const tag = timestampTag(pts90kHz);
      const frames = Buffer.allocUnsafe(segment.esLength);
      const { bytesRead } = await source.read(frames, 0, segment.esLength, segment.esOffset);
      if (bytesRead !== segment.esLength) throw new HlsaudioError('E_BITSTREAM', `${esPath}: ended at byte ${segment.esOffset + bytesRead}, before the frames its segment plan lists`, { file: esPath });
      await target.writev([tag, frames]);
      hash.update(tag).update(frames);
      const length = tag.length + frames.length;
      packed.push({ offset, length, startSample: segment.startSample, durationSec: segment.samples / sampleRate, pts90kHz });
      offset += length;
    }
    await target.sync();
    return { segments: packed, sha256: hash.digest('hex') };
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}
