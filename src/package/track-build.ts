import { createHash } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contentAddressedName, MAIN_MASTER_FILE, MEDIA_FILE_STEM, type MasterInfo, SCHEMA_VERSION, type SourceDamage, temporaryTrackFolder, type TrackInfo, VARIANT_PLAYLIST_STEM, type VariantInfo } from '../catalog/schema.js';
import { displayPath, HlsaudioError } from '../errors.js';
import { averageBitrate, peakSegmentBitrate } from '../hls/bitrate.js';
import { type AudioFrame, scanFile } from '../hls/elementary-stream.js';
import { type PackedSegment, packSegments } from '../hls/packer.js';
import { formatMediaPlaylist } from '../hls/playlist.js';
import { targetDurationFor } from '../hls/rules.js';
import { planSegments } from '../hls/segmenter.js';
import { decodeArgs, encodeArgs, PCM_BYTES_PER_SAMPLE, type PcmFormat } from '../media/args.js';
import type { MediaTools } from '../media/locate.js';
import type { ProbedSource } from '../media/probe.js';
import { runMediaTool } from '../media/run.js';
import { type AdaptiveProfile, type Codec, codecFamily, codecsString } from '../profiles/profile.js';
import { VERSION } from '../version.js';
import { landTrack } from './land.js';
import { masterPlaylistText } from '../catalog/master-text.js';
import { damagedSourceError, DecoderMessages, sourceDamage } from './source-damage.js';

export interface TrackBuildOptions {
  outDir: string;
  profiles: AdaptiveProfile[];
  segmentDurationSec: number;
  tailMergeMaxSec: number;
  compensateDelay: boolean;
  /** Build a source that decodes with errors or short (recording the damage) instead of failing it. */
  acceptDamaged: boolean;
  /** How long a rebuild keeps the previous build's files served (packageDefaults.previousBuildGraceSec). */
  previousBuildGraceSec: number;
  tools: MediaTools;
  signal: AbortSignal;
}

export interface TrackSource {
  probe: ProbedSource;
  sha256: string;
  cacheKey: string;
}

interface EncodedVariant {
  profile: AdaptiveProfile;
  /** Its media file's content-addressed name. */
  media: string;
  segments: PackedSegment[];
  codecs: string;
  bytes: number;
  boundaryDriftMs: number;
}

/** Progress of one step of a build, 0 to 1. */
export type StepProgress = (fraction: number) => void;

/**
 * Builds one track in a temporary folder beside its target (`.<id>.tmp-<host>-<pid>-<random>`): decode
 * the source once to PCM, then one encode step per profile (the catalog runner schedules the steps on
 * its queue), then `finish` writes playlists, masters and track.json, and lands them in the output
 * folder (package/land.ts). Media and variant playlists are named by their content.
 */
export class TrackBuild {
  readonly workDir: string;
  private readonly pcmPath: string;
  private readonly pcm: PcmFormat;
  private decodedSamples = 0;
  private damage: SourceDamage | undefined;
  private readonly encoded = new Map<string, EncodedVariant>();

  constructor(
    readonly id: string,
    readonly source: TrackSource,
    private readonly options: TrackBuildOptions,
  ) {
    this.workDir = join(options.outDir, temporaryTrackFolder(id));
    this.pcmPath = join(this.workDir, '.decoded.f32');
    this.pcm = { sampleRate: source.probe.audio.sampleRate, channels: source.probe.audio.channels >= 2 ? 2 : 1 };
  }

  get displayFile(): string {
    return displayPath(this.source.probe.file);
  }

  /** Exact source duration from the decoded sample count (known after `decode`). */
  get durationSec(): number {
    return this.decodedSamples / this.pcm.sampleRate;
  }

  /** Decodes the source to PCM; a damaged source fails here (E_INPUT_CORRUPT) unless acceptDamaged. */
  async decode(onProgress: StepProgress): Promise<void> {
    await mkdir(this.workDir, { recursive: true });
    const expected = this.source.probe.durationSec;
    const messages = new DecoderMessages();
    await runMediaTool(this.options.tools.ffmpeg.path, decodeArgs(this.source.probe.file, this.pcmPath, this.pcm), {
      file: this.displayFile,
      what: 'decoding',
      signal: this.options.signal,
      onProgress: ({ outTimeSec }) => expected && onProgress(Math.min(1, outTimeSec / expected)),
      onStderr: (text) => messages.push(text),
    });
    messages.end();
    const { size } = await stat(this.pcmPath);
    this.decodedSamples = size / (PCM_BYTES_PER_SAMPLE * this.pcm.channels);
    if (this.decodedSamples === 0) {
      throw new HlsaudioError('E_INPUT_EMPTY', `${this.displayFile}: the audio stream decodes to no samples (zero duration)`, {
        file: this.source.probe.file,
      });
    }
    this.damage = sourceDamage(this.durationSec, this.source.probe, messages);
    if (this.damage && !this.options.acceptDamaged) throw damagedSourceError(this.displayFile, this.source.probe.file, this.damage);
  }

  /** Damage that acceptDamaged let through (known after `decode`). */
  get sourceDamage(): SourceDamage | undefined {
    return this.damage;
  }

  /** Encodes, segments and packs one profile's variant into its content-addressed media file. */
  async encode(profile: AdaptiveProfile, onProgress: StepProgress): Promise<void> {
    const dir = join(this.workDir, profile.quality_id);
    await mkdir(dir, { recursive: true });
    const esPath = join(dir, `.encoded.${profile.file_extension}`);
    await runMediaTool(
      this.options.tools.ffmpeg.path,
      encodeArgs(this.pcmPath, this.pcm, profile, esPath, { compensateDelay: this.options.compensateDelay }),
      {
        file: this.displayFile,
        what: `encoding ${profile.quality_id}`,
        signal: this.options.signal,
        onProgress: ({ outTimeSec }) => onProgress(Math.min(1, outTimeSec / this.durationSec)),
      },
    );
    const frames = await this.readFrames(esPath, profile);
    const plan = planSegments(frames, profile.sample_rate, {
      segmentDurationSec: this.options.segmentDurationSec,
      tailMergeMaxSec: this.options.tailMergeMaxSec,
    });
    const packedPath = join(dir, `.packed.${profile.file_extension}`);
    const { segments, sha256 } = await packSegments(esPath, packedPath, plan, profile.sample_rate);
    const media = contentAddressedName(MEDIA_FILE_STEM, sha256, profile.file_extension);
    await rename(packedPath, join(dir, media));
    await rm(esPath);
    this.encoded.set(profile.quality_id, {
      profile,
      media,
      segments,
      codecs: codecsString(profile.codec, frames[0]?.objectType),
      bytes: segments.reduce((sum, segment) => sum + segment.length, 0),
      boundaryDriftMs: (plan.maxBoundaryDriftSamples / profile.sample_rate) * 1000,
    });
  }

  /** The encoder's frames, checked against the profile (rate, channels, one codec configuration throughout). */
  private async readFrames(esPath: string, profile: AdaptiveProfile): Promise<AudioFrame[]> {
    const frames: AudioFrame[] = [];
    for await (const unit of scanFile(esPath, profile.codec)) {
      if (unit.kind !== 'frame' || unit.info) continue;
      const first = frames[0] ?? unit;
      if (unit.sampleRate !== profile.sample_rate || unit.channels !== profile.channels || unit.objectType !== first.objectType) {
        throw new HlsaudioError(
          'E_BITSTREAM',
          `${this.displayFile}: encoding ${profile.quality_id} produced a frame of ${unit.sampleRate} Hz, ${unit.channels} channels at byte ${unit.offset} (the profile asks for ${profile.sample_rate} Hz, ${profile.channels} channels)`,
          { file: this.source.probe.file },
        );
      }
      frames.push(unit);
    }
    if (frames.length === 0) {
      throw new HlsaudioError('E_BITSTREAM', `${this.displayFile}: encoding ${profile.quality_id} produced no audio frames`, {
        file: this.source.probe.file,
      });
    }
    return frames;
  }

  /** Writes playlists, masters and track.json, then lands the track in the output folder. */
  async finish(): Promise<TrackInfo> {
    const variants = this.options.profiles.map((profile) => {
      const encoded = this.encoded.get(profile.quality_id);
      if (!encoded) throw new HlsaudioError('E_INTERNAL', `${this.id}: ${profile.quality_id} was not encoded before the track was finished`);
      return encoded;
    });
    // Every variant declares the same target duration (Apple HLS authoring spec 8.2).
    const targetDurationSec = Math.max(...variants.map((v) => targetDurationFor(v.segments.map((s) => s.durationSec))));
    const masters = groupMasters(variants.map((v) => v.profile));
    const variantInfo: VariantInfo[] = [];
    for (const variant of variants) {
      const { profile, segments, media } = variant;
      const text = formatMediaPlaylist(segments.map((s) => ({ uri: media, offset: s.offset, length: s.length, durationSec: s.durationSec })), {
        targetDurationSec,
      });
      const playlist = contentAddressedName(VARIANT_PLAYLIST_STEM, createHash('sha256').update(text).digest('hex'), 'm3u8');
      await writeFile(join(this.workDir, profile.quality_id, playlist), text);
      variantInfo.push({
        quality_id: profile.quality_id,
        playlist: `${profile.quality_id}/${playlist}`,
        file: `${profile.quality_id}/${media}`,
        master: masters.find((master) => master.profiles.includes(profile.quality_id))!.file,
        bytes: variant.bytes,
        segment_count: segments.length,
        duration_ms: round3(segments.reduce((sum, s) => sum + s.durationSec, 0) * 1000),
        peak_bitrate_bps: peakSegmentBitrate(segments, targetDurationSec),
        average_bitrate_bps: averageBitrate(segments),
        codecs: variant.codecs,
        sample_rate: profile.sample_rate,
        channels: profile.channels,
        max_boundary_drift_ms: round3(variant.boundaryDriftMs),
      });
    }
    for (const master of masters) await writeFile(join(this.workDir, master.file), masterPlaylistText({ variants: variantInfo }, master));
    const { probe } = this.source;
    const track: TrackInfo = {
      schema: SCHEMA_VERSION,
      id: this.id,
      title: probe.tags.title ?? titleFromFile(probe.file),
      artist: probe.tags.artist ?? null,
      album: probe.tags.album ?? null,
      duration_ms: round3(this.durationSec * 1000),
      source: {
        file: displayPath(probe.file),
        size_bytes: probe.sizeBytes,
        sha256: this.source.sha256,
        format: probe.formatName,
        codec: probe.audio.codec,
        sample_rate: probe.audio.sampleRate,
        channels: probe.audio.channels,
      },
      segment_duration_s: this.options.segmentDurationSec,
      target_duration_s: targetDurationSec,
      encoder_delay_compensated: this.options.compensateDelay,
      profiles: this.options.profiles,
      masters,
      variants: variantInfo,
      max_cross_variant_drift_ms: round3(crossVariantDriftSec(variants) * 1000),
      ...(this.damage ? { damage: this.damage } : {}),
      build: {
        hlsaudio_version: VERSION,
        ffmpeg: this.options.tools.ffmpeg.version,
        cache_key: this.source.cacheKey,
        built_at: new Date().toISOString(),
      },
    };
    await rm(this.pcmPath, { force: true });
    return landTrack(this.options.outDir, this.workDir, track, { previousBuildGraceSec: this.options.previousBuildGraceSec });
  }

  /** Removes the temporary folder (after a failure or an interruption). */
  async discard(): Promise<void> {
    await rm(this.workDir, { recursive: true, force: true });
  }
}

/**
 * One master per codec family, because players cannot switch between families (DESIGN.md). The
 * family with the most profiles (ties: the one holding the highest bit rate) gets `master.m3u8`;
 * each other family gets `master-<codec>.m3u8`. Within a master, variants keep ladder order, highest
 * bit rate first, so clients start at the top and step down as their bandwidth estimate requires.
 */
export function groupMasters(ladder: readonly AdaptiveProfile[]): MasterInfo[] {
  const families = new Map<Codec, string[]>();
  for (const profile of ladder) {
    const family = codecFamily(profile);
    families.set(family, [...(families.get(family) ?? []), profile.quality_id]);
  }
  const order = [...families.entries()].sort((a, b) => b[1].length - a[1].length); // stable: ladder order breaks ties
  return order.map(([family, profiles], index) => ({
    file: index === 0 ? MAIN_MASTER_FILE : `master-${family}.m3u8`,
    codec_family: family,
    profiles,
  }));
}

/** Largest spread, over boundary k, of the k-th segment start across variants. */
function crossVariantDriftSec(variants: readonly EncodedVariant[]): number {
  const count = Math.min(...variants.map((v) => v.segments.length));
  let spread = 0;
  for (let k = 1; k < count; k++) {
    const starts = variants.map((v) => v.segments[k]!.startSample / v.profile.sample_rate);
    spread = Math.max(spread, Math.max(...starts) - Math.min(...starts));
  }
  return spread;
}

function titleFromFile(file: string): string {
  const name = file.split(/[\\/]/).pop() ?? file;
  return name.replace(/\.[^.]+$/, '');
}

/** Milliseconds and seconds in JSON: three decimals are plenty. */
export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
