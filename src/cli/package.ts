import type { NormalizationInfo } from '../catalog/schema.js';
import { packageDefaults, packageOptions } from '../defaults.js';
import { optionError } from '../errors.js';
import { withContainer } from '../profiles/container.js';
import { loadProfiles, selectProfiles } from '../profiles/load.js';
import type { Container } from '../profiles/profile.js';
import { packageCatalog } from '../package/runner.js';
import { parseShard } from '../package/shard.js';
import type { IdSource } from '../package/sources.js';
import { interrupt } from './context.js';
import { EXIT } from './exit-codes.js';
import { listOption, numberOption } from './options.js';
import { createPackageOutput } from './package-output.js';

export async function runPackage(inputs: string[], options: Record<string, unknown>): Promise<void> {
  const segmentDurationSec = numberOption('--segment-duration', options.segmentDuration, {
    min: packageDefaults.segmentDurationMinSec,
    max: packageDefaults.segmentDurationMaxSec,
  });
  const previousBuildGraceSec = numberOption('--previous-build-grace', options.previousBuildGrace, { min: 0, max: 366 * 24 * 3600 });
  const concurrency = options.concurrency === undefined ? packageDefaults.concurrency : numberOption('--concurrency', options.concurrency, { min: 1, max: 256, integer: true });
  const shard = typeof options.shard === 'string' ? parseShard(options.shard) : undefined;
  const normalization = normalizationOptions(options);
  const ladder = selectProfiles(await loadProfiles(options.profiles as string | undefined), listOption(options.only));
  const profiles = options.container === undefined ? ladder : withContainer(ladder, options.container as Container);
  const output = createPackageOutput({ json: options.json === true, quiet: options.quiet === true });
  const summary = await packageCatalog({
    inputs,
    listFiles: options.list as string[],
    outDir: options.out as string,
    profiles,
    segmentDurationSec,
    compensateDelay: options.keepEncoderDelay !== true,
    normalization,
    acceptDamaged: options.acceptDamaged === true,
    previousBuildGraceSec,
    concurrency,
    force: options.force === true,
    shard,
    id: options.id as string | undefined,
    idFrom: options.idFrom as IdSource,
    signal: interrupt.signal,
    reporter: output.reporter,
  });
  output.finish(summary);
  if (summary.interrupted || summary.failed === 0) return;
  // A full, read-only or over-quota output folder is the output's exit status, not a bad source's.
  process.exitCode = summary.tracks.some((track) => track.error?.code === 'E_OUTPUT') ? EXIT.output : EXIT.failures;
}

/** `--loudness-target` with its ceiling and mode; the latter two mean nothing without a target. */
function normalizationOptions(options: Record<string, unknown>): NormalizationInfo | null {
  if (options.loudnessTarget === undefined) {
    if (options.loudnessMode !== undefined) throw optionError('--loudness-target', 'given with --loudness-mode', undefined);
    if (options.truePeakCeiling !== String(packageDefaults.truePeakCeilingDbtp)) throw optionError('--loudness-target', 'given with --true-peak-ceiling', undefined);
    return null;
  }
  return {
    target_lufs: numberOption('--loudness-target', options.loudnessTarget, { min: packageDefaults.loudnessTargetMinLufs, max: packageDefaults.loudnessTargetMaxLufs }),
    true_peak_ceiling_dbtp: numberOption('--true-peak-ceiling', options.truePeakCeiling, { min: packageOptions.truePeakCeilingDbtp.min, max: packageOptions.truePeakCeilingDbtp.max }),
    mode: (options.loudnessMode as NormalizationInfo['mode'] | undefined) ?? 'normalize',
  };
}
