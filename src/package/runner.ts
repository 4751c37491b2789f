import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import PQueue from 'p-queue';
import type { NormalizationInfo, SourceDamage } from '../catalog/schema.js';
import { listTrackIds, readTrack, rebuildCatalog, rebuildCatalogLocked, withCatalogLock } from '../catalog/store.js';
import { trackIdFromFile } from '../catalog/track-id.js';
import { packageDefaults } from '../defaults.js';
import { displayPath, errnoText, HlsaudioError, isHlsaudioError, isOutputRefused, outputError } from '../errors.js';
import { locateMediaTools, type MediaTools } from '../media/locate.js';
import { probeSource } from '../media/probe.js';
import type { AdaptiveProfile } from '../profiles/profile.js';
import { cacheKey, sha256File } from './cache.js';
import { inShard, type Shard } from './shard.js';
import { type IdSource, type SourceFile, assignTrackIds, expandInputs } from './sources.js';
import { tidyTrack } from './land.js';
import { recoverInterruptedBuilds } from './stale.js';
import { round3, TrackBuild, type TrackSource } from './track-build.js';

export interface PackageOptions {
  inputs: string[];
  listFiles?: string[];
  outDir: string;
  profiles: AdaptiveProfile[];
  segmentDurationSec: number;
  tailMergeMaxSec?: number;
  compensateDelay: boolean;
  /** `--loudness-target`, `--true-peak-ceiling`, `--loudness-mode`; null or absent: audio left as the source. */
  normalization?: NormalizationInfo | null;
  /** Build damaged sources (recording the damage in track.json) instead of failing them. */
  acceptDamaged?: boolean;
  /** How long a rebuild keeps the previous build's files served; default packageDefaults.previousBuildGraceSec. */
  previousBuildGraceSec?: number;
  concurrency: number;
  force: boolean;
  shard?: Shard;
  id?: string;
  idFrom: IdSource;
  signal: AbortSignal;
  reporter?: PackageReporter;
}

/** `interrupted`: not built because the run was stopped (SIGINT, SIGTERM) before or while building it. */
export type TrackStatus = 'built' | 'skipped' | 'failed' | 'interrupted';

/** One track of a run, as `--json` prints it (snake_case, like every file hlsaudio writes). */
export interface TrackOutcome {
  id: string;
  source: string;
  status: TrackStatus;
  /** Seconds of audio. */
  duration_s?: number;
  /** Wall-clock seconds the build took. */
  wall_s?: number;
  error?: { code: string; message: string };
  /** A damaged source built anyway (`--accept-damaged`): what was wrong, as track.json records it. */
  damage?: SourceDamage;
}

export interface PackageSummary {
  out_dir: string;
  tracks: TrackOutcome[];
  built: number;
  skipped: number;
  failed: number;
  interrupted_tracks: number;
  /** Tracks of other shards, left out by `--shard`. */
  out_of_shard: number;
  wall_s: number;
  /** Peak resident memory of the hlsaudio process (ffmpeg children not included). */
  peak_rss_mb: number;
  ffmpeg: string;
  interrupted: boolean;
}

/** What a run tells the CLI as it goes; every method is optional. */
export interface PackageReporter {
  trackStarted?(id: string, source: string): void;
  /** `speed`: seconds of source audio through the whole ladder per wall-clock second. */
  trackProgress?(id: string, fraction: number, speed: number | undefined): void;
  trackFinished?(outcome: TrackOutcome): void;
}

/** Relative encoder cost per second of audio (measured, DESIGN.md), to order jobs longest first. */
function encodeCost(profile: AdaptiveProfile): number {
  return (profile.codec === 'aac' ? 7.8e-5 : 3.5e-5) * profile.bitrate_kbps;
}
const DECODE_COST = 0.0006;

/**
 * Packages many sources into one output folder. All encoder runs of the catalog share one queue sized
 * to the cores, longest first, so both cores stay busy until the end; at most concurrency + 1 tracks
 * hold decoded PCM at once, so disk and memory use do not grow with the catalog. A failing source does
 * not stop the others. catalog.json is updated as each track lands, and rebuilt at the end.
 */
export async function packageCatalog(options: PackageOptions): Promise<PackageSummary> {
  const started = performance.now();
  const outDir = resolve(options.outDir);
  const tools = await locateMediaTools();
  const { sources, missing } = await expandInputs(options.inputs, options.listFiles, outDir);
  if (sources.length === 0 && missing.length === 0) {
    throw new HlsaudioError('E_OPTION', 'Expected `inputs` to name audio files or folders holding some, got none', { field: 'inputs' });
  }
  const ids = assignTrackIds(sources, options.idFrom, options.id);
  const outcomes: TrackOutcome[] = missing.map((error) => failure(trackIdFromFile(error.file ?? ''), error.file ?? '', error));
  const selected = [...ids.entries()].filter(([id]) => !options.shard || inShard(id, options.shard));
  await mkdir(outDir, { recursive: true }).catch((cause: unknown) => {
    throw outputError(outDir, 'cannot create output folder', cause);
  });
  // From here on the folder always holds a catalog.json that lists exactly its complete tracks, even if
  // this run is killed before its first track lands (and what a run killed earlier left is finished).
  await withCatalogLock(outDir, () => tidyOutput(outDir)).catch((error: unknown) => {
    throw asOutputError(outDir, error);
  });

  const reporter = options.reporter ?? {};
  const tailMergeMaxSec = options.tailMergeMaxSec ?? packageDefaults.tailMergeMaxSec;
  const prepared = await prepareSources(selected, options, tools, tailMergeMaxSec, outcomes, outDir);
  for (const outcome of outcomes) reporter.trackFinished?.(outcome);

  const queue = new PQueue({ concurrency: options.concurrency });
  const slots = new PQueue({ concurrency: options.concurrency + packageDefaults.extraTracksInFlight });
  // Longest tracks start first; within the tracks in flight the queue orders steps by cost.
  prepared.sort((a, b) => (b.probe.durationSec ?? 0) - (a.probe.durationSec ?? 0));
  await Promise.all(
    prepared.map((source) =>
      slots.add(async () => {
        if (options.signal.aborted) {
          outcomes.push({ id: source.id, source: displayPath(source.probe.file), status: 'interrupted' });
          return;
        }
        const outcome = await buildTrack(source, { ...options, outDir, tailMergeMaxSec }, tools, queue, reporter);
        outcomes.push(outcome);
        reporter.trackFinished?.(outcome);
      }),
    ),
  );
  if (!options.signal.aborted) {
    await rebuildCatalog(outDir).catch((error: unknown) => {
      throw asOutputError(outDir, error);
    });
  }
  const tracks = outcomes.sort((a, b) => a.id.localeCompare(b.id));
  return {
    out_dir: outDir,
    tracks,
    built: tracks.filter((t) => t.status === 'built').length,
    skipped: tracks.filter((t) => t.status === 'skipped').length,
    failed: tracks.filter((t) => t.status === 'failed').length,
    interrupted_tracks: tracks.filter((t) => t.status === 'interrupted').length,
    out_of_shard: ids.size - selected.length,
    wall_s: round3((performance.now() - started) / 1000),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    ffmpeg: `${tools.ffmpeg.version} (${tools.ffmpeg.source}: ${tools.ffmpeg.path})`,
    interrupted: options.signal.aborted,
  };
}

/**
 * What the start of a run does under the catalog lock: finishes what stopped runs left (their build
 * folders removed, every track folder brought to its track.json, expired files of earlier builds
 * removed), then writes catalog.json from the track folders.
 */
async function tidyOutput(outDir: string): Promise<void> {
  await recoverInterruptedBuilds(outDir);
  const now = Date.now();
  for (const id of await listTrackIds(outDir)) await tidyTrack(outDir, id, { now });
  await rebuildCatalogLocked(outDir);
}

/** A write the output's file system refused (full disk, quota, read-only) as E_OUTPUT naming the folder. */
function asOutputError(outDir: string, error: unknown): unknown {
  return !isHlsaudioError(error) && isOutputRefused(error) ? outputError(outDir, 'cannot write', error) : error;
}

type PreparedSource = TrackSource & { id: string };

/**
 * Hashes and probes every source (a few at a time) and sets aside those whose output is up to date;
 * catalog.json is rebuilt at the end of the run, so skipped tracks need no write here.
 */
async function prepareSources(
  selected: [string, SourceFile][],
  options: PackageOptions,
  tools: MediaTools,
  tailMergeMaxSec: number,
  outcomes: TrackOutcome[],
  outDir: string,
): Promise<PreparedSource[]> {
  const prepared: PreparedSource[] = [];
  const probes = new PQueue({ concurrency: packageDefaults.probeConcurrency });
  await Promise.all(
    selected.map(([id, { file }]) =>
      probes.add(async () => {
        try {
          // Hash before probing: an up-to-date track costs one read of its source, no ffprobe.
          const sha256 = await sha256File(file).catch((cause: unknown) => {
            throw new HlsaudioError('E_INPUT_MISSING', `${displayPath(file)}: cannot read source (${errnoText(cause)})`, { file, cause });
          });
          const key = cacheKey({
            sourceSha256: sha256,
            profiles: options.profiles,
            segmentDurationSec: options.segmentDurationSec,
            tailMergeMaxSec,
            compensateDelay: options.compensateDelay,
            normalization: options.normalization ?? null,
          });
          const existing = options.force ? undefined : await readTrack(outDir, id).catch(() => undefined);
          if (existing?.build.cache_key === key) {
            outcomes.push({ id, source: displayPath(file), status: 'skipped', duration_s: existing.duration_ms / 1000 });
            return;
          }
          const probe = await probeSource(tools, file, options.signal);
          prepared.push({ id, probe, sha256, cacheKey: key });
        } catch (error) {
          outcomes.push(failure(id, file, error, outDir));
        }
      }),
    ),
  );
  return prepared;
}

/**
 * Runs one track's decode and encode steps on the shared queue. The first failing step aborts the
 * track's other steps (killing their ffmpeg) before the temporary folder is removed.
 */
async function buildTrack(
  source: PreparedSource,
  options: PackageOptions & { outDir: string; tailMergeMaxSec: number },
  tools: MediaTools,
  queue: PQueue,
  reporter: PackageReporter,
): Promise<TrackOutcome> {
  const started = performance.now();
  const { profiles } = options;
  const abortTrack = new AbortController();
  const build = new TrackBuild(source.id, source, {
    outDir: options.outDir,
    profiles,
    segmentDurationSec: options.segmentDurationSec,
    tailMergeMaxSec: options.tailMergeMaxSec,
    compensateDelay: options.compensateDelay,
    normalization: options.normalization ?? null,
    acceptDamaged: options.acceptDamaged ?? false,
    previousBuildGraceSec: options.previousBuildGraceSec ?? packageDefaults.previousBuildGraceSec,
    tools,
    signal: AbortSignal.any([options.signal, abortTrack.signal]),
  });
  const expectedSec = source.probe.durationSec ?? 0;
  const steps = [{ cost: DECODE_COST, done: 0 }, ...profiles.map((profile) => ({ cost: encodeCost(profile), done: 0 }))];
  const totalCost = steps.reduce((sum, step) => sum + step.cost, 0);
  const progress = (index: number) => (fraction: number) => {
    steps[index]!.done = fraction;
    const overall = steps.reduce((sum, step) => sum + step.cost * step.done, 0) / totalCost;
    const wall = (performance.now() - started) / 1000;
    reporter.trackProgress?.(build.id, overall, wall > 0.2 ? (overall * expectedSec) / wall : undefined);
  };
  reporter.trackStarted?.(build.id, build.displayFile);
  try {
    await queue.add(() => build.decode(progress(0)), { priority: Number.MAX_SAFE_INTEGER });
    const seconds = build.durationSec;
    const encodes = profiles.map((profile, index) =>
      queue
        .add(() => build.encode(profile, progress(index + 1)), { priority: Math.round(encodeCost(profile) * seconds * 1e6) })
        .catch((error: unknown) => {
          abortTrack.abort();
          throw error;
        }),
    );
    const results = await Promise.allSettled(encodes);
    const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected').map((r) => r.reason as unknown);
    if (failed.length > 0) throw failed.find((error) => (error as HlsaudioError).code !== 'E_INTERRUPTED') ?? failed[0];
    const track = await build.finish();
    const outcome: TrackOutcome = { id: build.id, source: build.displayFile, status: 'built', duration_s: round3(seconds), wall_s: round3((performance.now() - started) / 1000) };
    return track.damage ? { ...outcome, damage: track.damage } : outcome;
  } catch (error) {
    await build.discard();
    if (options.signal.aborted) return { id: build.id, source: build.displayFile, status: 'interrupted' };
    return failure(build.id, source.probe.file, error, options.outDir);
  }
}

function failure(id: string, file: string, error: unknown, outDir?: string): TrackOutcome {
  const known = outDir && refusedByOutput(error) ? outputError(outDir, `cannot write ${id}`, outputCause(error)) : error;
  return {
    id,
    source: displayPath(file),
    status: 'failed',
    error: isHlsaudioError(known)
      ? { code: known.code, message: known.message }
      : { code: 'E_INTERNAL', message: `${displayPath(file)}: ${(known as Error)?.message ?? known}` },
  };
}

/**
 * Whether a track failed because the output's file system refused a write: ours (an errno) or
 * ffmpeg's, writing PCM or an encoded stream into the track's build folder (its message says so).
 */
function refusedByOutput(error: unknown): boolean {
  if (isHlsaudioError(error)) return error.code === 'E_FFMPEG' && outputCause(error) !== error;
  return isOutputRefused(error);
}

const FFMPEG_REFUSALS: [RegExp, string][] = [
  [/No space left on device/, 'ENOSPC'],
  [/Disk quota exceeded/, 'EDQUOT'],
  [/Read-only file system/, 'EROFS'],
];

/** The errno behind a refused write, also when ffmpeg reported it in words. */
function outputCause(error: unknown): unknown {
  if (!isHlsaudioError(error)) return error;
  const text = `${error.message}\n${(error.cause as Error | undefined)?.message ?? ''}`;
  const found = FFMPEG_REFUSALS.find(([pattern]) => pattern.test(text));
  return found ? Object.assign(new Error(text), { code: found[1] }) : error;
}
