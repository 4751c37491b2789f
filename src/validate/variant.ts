import { readFile, stat } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { isHlsaudioError } from '../errors.js';
import { averageBitrate, peakSegmentBitrate } from '../hls/bitrate.js';
import { type AudioFrame, scanFile, type StreamUnit } from '../hls/elementary-stream.js';
import { PTS_CLOCK_HZ } from '../hls/id3.js';
import { lintMediaPlaylist } from '../hls/lint.js';
import { readMediaPlaylist } from '../hls/parse.js';
import { type Codec, codecsString } from '../profiles/profile.js';
import type { FindingList } from './findings.js';
import { checkFragmentedVariant } from './fmp4-variant.js';

/** What a variant's media really holds, measured from its file through its playlist. */
export interface MeasuredVariant {
  playlist: string;
  mediaFile: string | undefined;
  codec: Codec;
  codecs: string | undefined;
  sampleRate: number | undefined;
  channels: number | undefined;
  bytes: number;
  segmentCount: number;
  targetDurationSec: number | undefined;
  peakBitrate: number;
  averageBitrate: number;
}

/** A tolerance for EXTINF against its frames: RFC 8216 asks for accuracy, hlsaudio writes microseconds. */
const EXTINF_TOLERANCE_SEC = 0.001;
/** ID3 timestamps are rounded to the 90 kHz clock; allow that rounding and one more tick. */
const PTS_TOLERANCE_TICKS = 2;

export function codecOfFile(file: string): Codec | undefined {
  if (file.endsWith('.aac')) return 'aac';
  if (file.endsWith('.mp3')) return 'mp3';
  return undefined;
}

/**
 * Checks a variant playlist against its one media file (fMP4: see checkFragmentedVariant): RFC 8216 syntax, byte ranges inside the file,
 * contiguous and covering it, each range starting with an ID3 timestamp tag that matches the time
 * before it, each range made of whole frames, EXTINF equal to its frames' duration. `outDir`-relative
 * paths name the files in findings.
 */
export async function checkVariant(outDir: string, playlist: string, findings: FindingList): Promise<MeasuredVariant | undefined> {
  const text = await readFile(join(outDir, playlist), 'utf8').catch(() => undefined);
  if (text === undefined) {
    findings.error('missing-file', playlist, 'the variant playlist is missing');
    return undefined;
  }
  for (const lint of lintMediaPlaylist(text)) {
    if (lint.severity === 'error') findings.error(lint.rule, playlist, lint.message, lint.line);
    else findings.warning(lint.rule, playlist, lint.message, lint.line);
  }
  const model = readMediaPlaylist(text);
  const segmentLines = segmentLineNumbers(text);
  const uris = [...new Set(model.segments.map((segment) => segment.uri))];
  if (uris.length !== 1) {
    findings.error('one-media-file', playlist, `segments point to ${uris.length} media files; hlsaudio writes exactly one per variant`);
    if (uris.length === 0) return undefined;
  }
  const mediaFile = posix.join(dirname(playlist), uris[0]!);
  const codec = codecOfFile(mediaFile);
  if (!codec && !mediaFile.endsWith('.mp4')) {
    findings.error('media-type', playlist, `media file ${uris[0]} is neither .aac nor .mp3 packed audio nor .mp4`);
    return undefined;
  }
  const size = await stat(join(outDir, mediaFile)).then((info) => info.size, () => undefined);
  if (size === undefined) {
    findings.error('media-missing', playlist, `media file ${mediaFile} is missing`);
    return undefined;
  }
  if (!codec) {
    const fragments = await checkFragmentedVariant(outDir, playlist, mediaFile, model, segmentLines, findings);
    if (!fragments?.codec) return undefined;
    const target = model.targetDurationSec ?? 0;
    return {
      playlist,
      mediaFile,
      codec: fragments.codec,
      codecs: fragments.codecs,
      sampleRate: fragments.sampleRate,
      channels: fragments.channels,
      bytes: fragments.bytes,
      segmentCount: model.segments.length,
      targetDurationSec: model.targetDurationSec,
      peakBitrate: target > 0 ? peakSegmentBitrate(fragments.segments, target) : averageBitrate(fragments.segments),
      averageBitrate: averageBitrate(fragments.segments),
    };
  }
  const units: StreamUnit[] = [];
  try {
    for await (const unit of scanFile(join(outDir, mediaFile), codec)) units.push(unit);
  } catch (error) {
    findings.error('bitstream', mediaFile, isHlsaudioError(error) ? error.message.replace(`${join(outDir, mediaFile)}: `, '') : String(error));
    return undefined;
  }
  const unitAt = new Map(units.map((unit, index) => [unit.offset, index]));
  const firstFrame = units.find((unit): unit is AudioFrame => unit.kind === 'frame');
  const sampleRate = firstFrame?.sampleRate;
  const measuredSegments: { length: number; durationSec: number }[] = [];
  let expectedOffset = 0;
  let elapsedSamples = 0;
  model.segments.forEach((segment, index) => {
    const line = segmentLines[index];
    const name = `segment ${index + 1}`;
    const offset = segment.offset ?? expectedOffset;
    const length = segment.length ?? size - offset;
    if (offset + length > size) {
      findings.error('byterange-outside', playlist, `${name}: byte range ${length}@${offset} ends at byte ${offset + length}, past the end of ${mediaFile} (${size} bytes)`, line);
      expectedOffset = offset + length;
      return;
    }
    if (offset !== expectedOffset) {
      const what = offset > expectedOffset ? `bytes ${expectedOffset} to ${offset - 1} are in no segment` : `it overlaps the segment before by ${expectedOffset - offset} bytes`;
      findings.error(index === 0 ? 'byterange-coverage' : 'byterange-gap', playlist, `${name} starts at byte ${offset}, but ${index === 0 ? 'the file starts at byte 0' : `the segment before ends at byte ${expectedOffset}`}: ${what}`, line);
    }
    expectedOffset = offset + length;
    let at = unitAt.get(offset);
    const first = at === undefined ? undefined : units[at];
    if (first?.kind !== 'id3' || first.pts === undefined) {
      findings.error('id3-timestamp', playlist, `${name}: no ID3 transportStreamTimestamp tag at byte ${offset}, where the segment starts (RFC 8216 section 3.4)`, line);
    } else if (sampleRate) {
      const expected = Math.round((elapsedSamples * PTS_CLOCK_HZ) / sampleRate);
      if (Math.abs(first.pts - expected) > PTS_TOLERANCE_TICKS) {
        findings.error('id3-timestamp', playlist, `${name}: ID3 timestamp ${first.pts} (90 kHz), but the segments before it last ${expected} ticks`, line);
      }
    }
    if (at === undefined) {
      findings.error('segment-boundary', playlist, `${name}: byte range ${length}@${offset} does not start where a tag or frame starts`, line);
      elapsedSamples += Math.round(segment.durationSec * (sampleRate ?? 0));
      measuredSegments.push({ length, durationSec: segment.durationSec });
      return;
    }
    let samples = 0;
    let end = offset;
    while (at < units.length && units[at]!.offset < offset + length) {
      const unit = units[at]!;
      if (unit.kind === 'frame' && !unit.info) samples += unit.samples;
      end = unit.offset + unit.length;
      at++;
    }
    if (end !== offset + length) {
      findings.error('segment-boundary', playlist, `${name}: byte range ${length}@${offset} ends inside a frame (the frame runs to byte ${end})`, line);
    }
    const durationSec = sampleRate ? samples / sampleRate : 0;
    if (sampleRate && Math.abs(durationSec - segment.durationSec) > EXTINF_TOLERANCE_SEC) {
      findings.error('extinf', playlist, `${name}: EXTINF ${segment.durationSec} s, but its frames last ${durationSec.toFixed(6)} s`, line);
    }
    elapsedSamples += samples;
    measuredSegments.push({ length, durationSec });
  });
  if (expectedOffset < size) {
    findings.error('byterange-coverage', playlist, `bytes ${expectedOffset} to ${size - 1} of ${mediaFile} are in no segment (a segment is missing from the playlist?)`);
  }
  const target = model.targetDurationSec ?? 0;
  return {
    playlist,
    mediaFile,
    codec,
    codecs: firstFrame ? codecsString(codec, firstFrame.objectType) : undefined,
    sampleRate,
    channels: firstFrame?.channels,
    bytes: size,
    segmentCount: model.segments.length,
    targetDurationSec: model.targetDurationSec,
    peakBitrate: target > 0 ? peakSegmentBitrate(measuredSegments, target) : averageBitrate(measuredSegments),
    averageBitrate: averageBitrate(measuredSegments),
  };
}

/** The line of each segment's URI, for findings. */
function segmentLineNumbers(text: string): number[] {
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() && !line.trim().startsWith('#')) lines.push(index + 1);
  });
  return lines;
}
