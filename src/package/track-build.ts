import { createHash } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PcmAnalysis } from '../analysis/analyse-pcm.js';
import { writeLimitedPcm } from '../analysis/limiter.js';
import { masterPlaylistText } from '../catalog/master-text.js';
import { contentAddressedName, MAIN_MASTER_FILE, MEDIA_FILE_STEM, type MasterInfo, type NormalizationInfo, SCHEMA_VERSION, type SourceDamage, temporaryTrackFolder, type TrackInfo, VARIANT_PLAYLIST_STEM, type VariantInfo, type VariantLoudness } from '../catalog/schema.js';
import { packageDefaults } from '../defaults.js';
import { displayPath, HlsaudioError } from '../errors.js';
import { averageBitrate, peakSegmentBitrate } from '../hls/bitrate.js';
import { type AudioFrame, scanFile } from '../hls/elementary-stream.js';
import { packSegments } from '../hls/packer.js';
import { formatMediaPlaylist } from '../hls/playlist.js';
import { targetDurationFor } from '../hls/rules.js';
import { planSegments } from '../hls/segmenter.js';
import { decodeArgs, encodeArgs, PCM_BYTES_PER_SAMPLE, type PcmFormat } from '../media/args.js';
import { measureWithEbur128 } from '../media/ebur128.js';
import type { MediaTools } from '../media/locate.js';
import type { ProbedSource } from '../media/probe.js';
import { runMediaTool } from '../media/run.js';
import { type AdaptiveProfile, type Codec, codecFamily, codecsString, type Container, containerOf } from '../profiles/profile.js';
import { VERSION } from '../version.js';
import { sha256File } from './cache.js';
import { fragmentVariant } from './fragmented-variant.js';
import { landTrack } from './land.js';
import { encodeNormalised, firstPlan, sourceLoudnessFor, unnormalisedLoudness } from './normalisation.js';
import { damagedSourceError, DecoderMessages, sourceDamage } from './source-damage.js';
import { startTrackAnalysis, writePeaksFile } from './track-analysis.js';

export interface TrackBuildOptions {
  outDir: string;
  profiles: AdaptiveProfile[];
  segmentDurationSec: number;
  tailMergeMaxSec: number;
  compensateDelay: boolean;
  /** `--loudness-target` and its ceiling and mode; null: the audio is left as the source. */
  normalization: NormalizationInfo | null;
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

/** A segment as the playlist and the drift measures need it, whatever the container. */
interface VariantSegment {
  offset: number;
  length: number;
  /** First sample presented (0: the source's first sample). */
  startSample: number;
  durationSec: number;
}

/** The media side of a variant: the segments of its one file, and what they hold. */
interface PackagedMedia {
  segments: VariantSegment[];
  /** fMP4's init segment (EXT-X-MAP). */
  init: { offset: number; length: number } | undefined;
  codecs: string;
  bytes: number;
  boundaryDriftMs: number;
  sampleRate: number;
  bitsPerSample: number | undefined;
  /** SHA-256 of the written file, which names it. */
  sha256: string;
}

interface EncodedVariant extends Omit<PackagedMedia, 'sha256'> {
  profile: AdaptiveProfile;
  /** Its media file's content-addressed name. */
  media: string;
  container: Container;
  loudness: VariantLoudness;
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
  /** The loudness and peaks pass over the PCM, started when the decode ends. */
  private analysis: Promise<PcmAnalysis> | undefined;
  /** Limited copies of the PCM for normalised variants, by gain and aim. */
  private readonly limitedPcm = new Map<string, Promise<string>>();

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
    this.analysis = startTrackAnalysis(this.pcmPath, this.pcm, this.options.profiles, this.options.signal);
    // A loudness target needs the source's loudness before any encoder starts.
    if (this.options.normalization) await this.analysis;
  }

  /** Damage that acceptDamaged let through (known after `decode`). */
  get sourceDamage(): SourceDamage | undefined {
    return this.damage;
  }

  /**
   * Encodes, segments and packs one profile's variant (normalised when a loudness target is set)
   * into its content-addressed media file.
   */
  async encode(profile: AdaptiveProfile, onProgress: StepProgress): Promise<void> {
    const dir = join(this.workDir, profile.quality_id);
    await mkdir(dir, { recursive: true });
    const container = containerOf(profile);
    const encodedPath = join(dir, `.encoded.${container === 'fmp4' ? 'mp4' : profile.file_extension}`);
    const format = this.variantFormat(profile);
    const encodeFrom = (input: string, gainDb: number) =>
      runMediaTool(this.options.tools.ffmpeg.path, encodeArgs(input, this.pcm, profile, encodedPath, { compensateDelay: this.options.compensateDelay, ...format, gainDb }), {
        file: this.displayFile,
        what: `encoding ${profile.quality_id}`,
        signal: this.options.signal,
        onProgress: ({ outTimeSec }) => onProgress(Math.min(1, outTimeSec / this.durationSec)),
      });
    const loudness = await this.encodeWithLoudness(profile, encodedPath, encodeFrom);
    const writtenPath = join(dir, `.media.${profile.file_extension}`);
    const written = container === 'fmp4' ? await this.fragment(profile, encodedPath, writtenPath, format.sampleRate, loudness) : await this.pack(profile, encodedPath, writtenPath);
    const media = contentAddressedName(MEDIA_FILE_STEM, written.sha256, profile.file_extension);
    await rename(writtenPath, join(dir, media));
    await rm(encodedPath);
    this.encoded.set(profile.quality_id, { ...written, profile, media, container, loudness });
  }

  /** Rate and depth of a variant: the profile's, but FLAC keeps a lower source rate and the source's depth, to decode bit for bit. */
  private variantFormat(profile: AdaptiveProfile): { sampleRate: number; bitsPerSample: 16 | 24 | undefined } {
    if (profile.codec !== 'flac') return { sampleRate: profile.sample_rate, bitsPerSample: undefined };
    const sourceBits = this.source.probe.audio.bitsPerSample;
    // A gain makes values 16 bits would round: normalised FLAC is 24-bit.
    const bitsPerSample = sourceBits !== undefined && sourceBits <= 16 && !this.options.normalization ? 16 : 24;
    return { sampleRate: Math.min(this.pcm.sampleRate, profile.sample_rate), bitsPerSample };
  }

  /** Runs the encoder once (no target), or until the decoded variant meets the target and ceiling. */
  private async encodeWithLoudness(profile: AdaptiveProfile, encodedPath: string, encodeFrom: (input: string, gainDb: number) => Promise<unknown>): Promise<VariantLoudness> {
    const normalization = this.options.normalization;
    if (!normalization) {
      await encodeFrom(this.pcmPath, 0);
      return unnormalisedLoudness(await this.analysed(), this.pcm.channels, profile.channels);
    }
    const plan = firstPlan(sourceLoudnessFor(await this.analysed(), this.pcm.channels, profile.channels), normalization);
    return encodeNormalised(plan, normalization, {
      pcmFile: this.pcmPath,
      what: `${this.displayFile}: ${profile.quality_id}`,
      encode: async (input, gainDb) => void (await encodeFrom(input, gainDb)),
      limited: (gainDb, aimDbtp) => this.limited(gainDb, aimDbtp),
      measure: () => measureWithEbur128(this.options.tools, encodedPath, { signal: this.options.signal, what: `measuring ${profile.quality_id}` }),
    });
  }

  private analysed(): Promise<PcmAnalysis> {
    if (!this.analysis) throw new Error(`${this.id}: analysis asked for before decoding`);
    return this.analysis;
  }

  /** A limited copy of the PCM, shared by the variants that need the same one. */
  private limited(gainDb: number, aimDbtp: number): Promise<string> {
    const key = `${gainDb.toFixed(2)}_${aimDbtp.toFixed(2)}`;
    let file = this.limitedPcm.get(key);
    if (!file) {
      const path = join(this.workDir, `.limited_${key}.f32`);
      file = writeLimitedPcm(this.pcmPath, path, {
        ...this.pcm,
        gainDb,
        ceilingDbtp: aimDbtp,
        releaseMs: packageDefaults.limiterReleaseMs,
        chunkBytes: packageDefaults.analysisChunkBytes,
        signal: this.options.signal,
      }).then(() => path);
      this.limitedPcm.set(key, file);
    }
    return file;
  }

  /** Packed audio: the encoder's elementary stream cut at frame starts, an ID3 timestamp before each segment. */
  private async pack(profile: AdaptiveProfile, esPath: string, mediaPath: string): Promise<PackagedMedia> {
    const frames = await this.readFrames(esPath, profile);
    const plan = planSegments(frames, profile.sample_rate, {
      segmentDurationSec: this.options.segmentDurationSec,
      tailMergeMaxSec: this.options.tailMergeMaxSec,
    });
    const { segments, sha256 } = await packSegments(esPath, mediaPath, plan, profile.sample_rate);
    return {
      sha256,
      segments,
      init: undefined,
      codecs: codecsString(profile.codec, frames[0]?.objectType),
      bytes: segments.reduce((sum, segment) => sum + segment.length, 0),
      boundaryDriftMs: (plan.maxBoundaryDriftSamples / profile.sample_rate) * 1000,
      sampleRate: profile.sample_rate,
      bitsPerSample: undefined,
    };
  }

  /** fMP4: the encoder's MP4 refragmented, the priming in the edit list, the loudness in the init segment. */
  private async fragment(profile: AdaptiveProfile, encodedPath: string, mediaPath: string, sampleRate: number, loudness: VariantLoudness): Promise<PackagedMedia> {
    const source = (await this.analysed()).loudness;
    const variant = await fragmentVariant(profile, encodedPath, mediaPath, sampleRate, {
      segmentDurationSec: this.options.segmentDurationSec,
      tailMergeMaxSec: this.options.tailMergeMaxSec,
      presentationSamples: Math.round((this.decodedSamples * sampleRate) / this.pcm.sampleRate),
      loudness: { integratedLufs: loudness.integrated_lufs, rangeLu: source.range_lu, truePeakDbtp: loudness.true_peak_dbtp, samplePeakDbfs: loudness.gain_db === 0 ? source.sample_peak_dbfs : null },
      displayFile: this.displayFile,
    });
    return {
      sha256: await sha256File(mediaPath),
      segments: variant.segments,
      init: variant.init,
      codecs: variant.codecs,
      bytes: variant.init.length + variant.segments.reduce((sum, segment) => sum + segment.length, 0),
      boundaryDriftMs: (variant.boundaryDriftSamples / sampleRate) * 1000,
      sampleRate,
      bitsPerSample: variant.bitsPerSample,
    };
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
        // fMP4's init segment is the start of the same content-addressed media file.
        map: variant.init && { uri: media, ...variant.init },
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
        sample_rate: variant.sampleRate,
        channels: profile.channels,
        max_boundary_drift_ms: round3(variant.boundaryDriftMs),
        container: variant.container,
        ...(variant.init ? { init: variant.init } : {}),
        ...(variant.bitsPerSample !== undefined ? { bits_per_sample: variant.bitsPerSample } : {}),
        loudness: variant.loudness,
      });
    }
    for (const master of masters) await writeFile(join(this.workDir, master.file), masterPlaylistText({ variants: variantInfo }, master));
    const { probe } = this.source;
    const analysis = await this.analysed();
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
        bits_per_sample: probe.audio.bitsPerSample ?? null,
      },
      segment_duration_s: this.options.segmentDurationSec,
      target_duration_s: targetDurationSec,
      encoder_delay_compensated: this.options.compensateDelay,
      profiles: this.options.profiles,
      masters,
      variants: variantInfo,
      max_cross_variant_drift_ms: round3(crossVariantDriftSec(variants) * 1000),
      loudness: analysis.loudness,
      normalization: this.options.normalization,
      peaks: await writePeaksFile(this.workDir, analysis),
      ...(this.damage ? { damage: this.damage } : {}),
      build: {
        hlsaudio_version: VERSION,
        ffmpeg: this.options.tools.ffmpeg.version,
        cache_key: this.source.cacheKey,
        built_at: new Date().toISOString(),
      },
    };
    await rm(this.pcmPath, { force: true });
    for (const limited of this.limitedPcm.values()) await rm(await limited, { force: true });
    return landTrack(this.options.outDir, this.workDir, track, { previousBuildGraceSec: this.options.previousBuildGraceSec });
  }

  /** Removes the temporary folder (after a failure or an interruption). */
  async discard(): Promise<void> {
    await rm(this.workDir, { recursive: true, force: true });
  }
}

/**
 * One master per codec family and container, because players cannot switch between families
 * (DESIGN.md) and a player's buffer takes one container at a time. The group with the most profiles
 * (ties: the one holding the highest bit rate) gets `master.m3u8`; each other gets
 * `master-<codec>.m3u8`, or `master-<codec>-<container>.m3u8` when two groups share a codec.
 * Within a master, variants keep ladder order, highest bit rate first, so clients start at the top
 * and step down as their bandwidth estimate requires.
 */
export function groupMasters(ladder: readonly AdaptiveProfile[]): MasterInfo[] {
  const groups = new Map<string, { family: Codec; container: Container; profiles: string[] }>();
  for (const profile of ladder) {
    const family = codecFamily(profile);
    const container = containerOf(profile);
    const key = `${family}/${container}`;
    const group = groups.get(key) ?? { family, container, profiles: [] };
    group.profiles.push(profile.quality_id);
    groups.set(key, group);
  }
  const order = [...groups.values()].sort((a, b) => b.profiles.length - a.profiles.length); // stable: ladder order breaks ties
  return order.map(({ family, container, profiles }, index) => {
    const shared = order.filter((group) => group.family === family).length > 1;
    return {
      file: index === 0 ? MAIN_MASTER_FILE : `master-${family}${shared ? `-${container}` : ''}.m3u8`,
      codec_family: family,
      container,
      profiles,
    };
  });
}

/** Largest spread, over boundary k, of the k-th segment start across variants. */
function crossVariantDriftSec(variants: readonly EncodedVariant[]): number {
  const count = Math.min(...variants.map((v) => v.segments.length));
  let spread = 0;
  for (let k = 1; k < count; k++) {
    const starts = variants.map((v) => v.segments[k]!.startSample / v.sampleRate);
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
