import { createReadStream } from 'node:fs';
import { HlsaudioError } from '../errors.js';
import type { Codec } from '../profiles/profile.js';
import { ADTS_MIN_HEADER_BYTES, parseAdtsHeader } from './adts.js';
import { ID3_HEADER_BYTES, id3TagLength, readTransportStreamTimestamp } from './id3.js';
import { isInfoFrame, MPEG_AUDIO_HEADER_BYTES, parseMpegAudioHeader } from './mpeg-audio.js';

/** An audio frame of a packed-audio stream (ADTS or MPEG audio), located by byte offset. */
export interface AudioFrame {
  kind: 'frame';
  offset: number;
  length: number;
  /** PCM samples per channel the frame decodes to. */
  samples: number;
  sampleRate: number;
  channels: number;
  /** AAC audio object type (2 = LC); absent for MPEG audio. */
  objectType?: number;
  /** A Xing/Info/VBRI frame: stream information, not audio. */
  info?: boolean;
}

/** An ID3v2 tag between frames; `pts` is its transportStreamTimestamp when it carries one. */
export interface Id3Unit {
  kind: 'id3';
  offset: number;
  length: number;
  pts?: number;
}

export type StreamUnit = AudioFrame | Id3Unit;

const ID3V1_BYTES = 128;
const LOOKAHEAD_BYTES = Math.max(ID3_HEADER_BYTES, ADTS_MIN_HEADER_BYTES, MPEG_AUDIO_HEADER_BYTES);

/**
 * Walks an ADTS or MPEG audio elementary stream unit by unit, reading headers only, and yields every
 * frame and ID3 tag with its byte offset. Anything else (garbage, a truncated last frame) is an
 * E_BITSTREAM error naming the byte offset, so a damaged file is never taken for a shorter good one.
 */
export async function* scanElementaryStream(
  chunks: AsyncIterable<Uint8Array>,
  codec: Codec,
  file: string,
): AsyncGenerator<StreamUnit> {
  let buf = Buffer.alloc(0);
  let pos = 0; // read position in buf
  let base = 0; // absolute offset of buf[0]
  let ended = false;
  const iterator = chunks[Symbol.asyncIterator]();
  const fill = async (bytes: number): Promise<boolean> => {
    while (buf.length - pos < bytes && !ended) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        break;
      }
      buf = Buffer.concat([buf.subarray(pos), next.value]);
      base += pos;
      pos = 0;
    }
    return buf.length - pos >= bytes;
  };
  const fail = (what: string): never => {
    throw new HlsaudioError('E_BITSTREAM', `${file}: ${what} at byte ${base + pos}`, { file });
  };
  let first = true;
  while (await fill(1)) {
    if (!(await fill(LOOKAHEAD_BYTES))) {
      fail(`${buf.length - pos} stray bytes`);
    }
    const tagLength = id3TagLength(buf, pos);
    if (tagLength !== undefined) {
      if (!(await fill(tagLength))) fail('truncated ID3 tag');
      const pts = readTransportStreamTimestamp(buf.subarray(pos, pos + tagLength));
      yield pts === undefined
        ? { kind: 'id3', offset: base + pos, length: tagLength }
        : { kind: 'id3', offset: base + pos, length: tagLength, pts };
      pos += tagLength;
      continue;
    }
    if (codec === 'aac') {
      const header = parseAdtsHeader(buf, pos);
      if (!header) fail('no ADTS frame header');
      const { frameLength, samples, sampleRate, channelConfiguration, objectType } = header!;
      if (!(await fill(frameLength))) fail('truncated ADTS frame');
      yield { kind: 'frame', offset: base + pos, length: frameLength, samples, sampleRate, channels: channelConfiguration, objectType };
      pos += frameLength;
    } else {
      const header = parseMpegAudioHeader(buf, pos);
      if (!header) {
        if (buf.subarray(pos, pos + 3).toString('latin1') === 'TAG' && (await fill(ID3V1_BYTES)) && buf.length - pos === ID3V1_BYTES) {
          pos += ID3V1_BYTES; // an ID3v1 tag ends the file
          continue;
        }
        fail('no MPEG audio frame header');
      }
      const { frameLength, samples, sampleRate, channels } = header!;
      if (!(await fill(frameLength))) fail('truncated MPEG audio frame');
      const info = first && isInfoFrame(buf.subarray(pos, pos + frameLength), header!);
      const frame: AudioFrame = { kind: 'frame', offset: base + pos, length: frameLength, samples, sampleRate, channels };
      if (info) frame.info = true;
      yield frame;
      pos += frameLength;
    }
    first = false;
  }
}

/** scanElementaryStream over a file on disk. */
export function scanFile(path: string, codec: Codec): AsyncGenerator<StreamUnit> {
  return scanElementaryStream(createReadStream(path, { highWaterMark: 256 * 1024 }), codec, path);
}
