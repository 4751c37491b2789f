import chalk from 'chalk';
import ora, { type Ora } from 'ora';
import { displayPath } from '../errors.js';
import type { PackageReporter, PackageSummary, TrackOutcome } from '../package/runner.js';
import { describeDamage } from '../package/source-damage.js';

export interface PackageOutput {
  reporter: PackageReporter;
  finish(summary: PackageSummary): void;
}

/**
 * How `package` talks: an ora line per track with percent and speed on a terminal, plain lines
 * otherwise, a JSON summary on stdout with --json, errors only with --quiet. Failures and damaged sources built anyway always go to stderr.
 */
export function createPackageOutput({ json, quiet }: { json: boolean; quiet: boolean }): PackageOutput {
  const printProblem = (outcome: TrackOutcome) => {
    if (outcome.error) process.stderr.write(`${chalk.red('✖')} ${outcome.error.message}\n`);
    else if (outcome.damage) process.stderr.write(`${chalk.yellow('⚠')} ${outcome.source}: damaged source built anyway (--accept-damaged): ${describeDamage(outcome.damage)}\n`);
  };
  if (json || quiet) {
    return {
      reporter: { trackFinished: printProblem },
      finish: (summary) => json && process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`),
    };
  }
  // A terminal that reports no width (some CI pseudo-terminals) would send ora's line arithmetic into
  // an endless clear loop (seen under `script`): such terminals get plain lines.
  return process.stdout.isTTY && (process.stdout.columns ?? 0) > 0 ? spinnerOutput(printProblem) : plainOutput(printProblem);
}

function finishedLine(outcome: TrackOutcome): string {
  if (outcome.status === 'skipped') return `${outcome.id} up to date (${outcome.source})`;
  if (outcome.status === 'interrupted') return `${outcome.id} not built (interrupted)`;
  const speed = outcome.duration_s && outcome.wall_s ? ` (${(outcome.duration_s / outcome.wall_s).toFixed(1)}x)` : '';
  return `${outcome.id} ${formatSeconds(outcome.duration_s ?? 0)} of audio in ${formatSeconds(outcome.wall_s ?? 0)}${speed}`;
}

function summaryLine(summary: PackageSummary): string {
  const parts = [`${summary.built} built`, `${summary.skipped} up to date`, `${summary.failed} failed`];
  if (summary.interrupted_tracks > 0) parts.push(`${summary.interrupted_tracks} not built`);
  if (summary.out_of_shard > 0) parts.push(`${summary.out_of_shard} in other shards`);
  const state = summary.interrupted ? 'Interrupted' : 'Packaged';
  return `${state}: ${parts.join(', ')} in ${formatSeconds(summary.wall_s)} → ${displayPath(summary.out_dir)}`;
}

function spinnerOutput(printProblem: (outcome: TrackOutcome) => void): PackageOutput {
  const active = new Map<string, { fraction: number; speed: number | undefined }>();
  let spinner: Ora | undefined;
  const render = () => {
    const text = [...active.entries()]
      .map(([id, { fraction, speed }]) => `${id} ${Math.floor(fraction * 100)}%${speed ? ` ${speed.toFixed(1)}x` : ''}`)
      .join('  ·  ');
    if (!spinner) spinner = ora({ text, stream: process.stdout }).start();
    else spinner.text = text;
  };
  const persist = (symbol: string, text: string) => {
    if (spinner) spinner.stopAndPersist({ symbol, text });
    else process.stdout.write(`${symbol} ${text}\n`);
    spinner = undefined;
    if (active.size > 0) render();
  };
  return {
    reporter: {
      trackStarted: (id) => {
        active.set(id, { fraction: 0, speed: undefined });
        render();
      },
      trackProgress: (id, fraction, speed) => {
        active.set(id, { fraction, speed });
        render();
      },
      trackFinished: (outcome) => {
        active.delete(outcome.id);
        if (outcome.status === 'failed') {
          spinner?.stop();
          spinner = undefined;
          printProblem(outcome);
          if (active.size > 0) render();
        } else {
          persist(outcome.status === 'interrupted' ? chalk.yellow('−') : chalk.green('✔'), finishedLine(outcome));
          printProblem(outcome);
        }
      },
    },
    finish: (summary) => {
      spinner?.stop();
      process.stdout.write(`${summaryLine(summary)}\n`);
    },
  };
}

function plainOutput(printProblem: (outcome: TrackOutcome) => void): PackageOutput {
  return {
    reporter: {
      trackStarted: (id, source) => process.stdout.write(`started ${id} (${source})\n`),
      trackFinished: (outcome) => {
        if (outcome.status !== 'failed') process.stdout.write(`done ${finishedLine(outcome)}\n`);
        printProblem(outcome);
      },
    },
    finish: (summary) => process.stdout.write(`${summaryLine(summary)}\n`),
  };
}

function formatSeconds(seconds: number): string {
  return seconds >= 100 ? `${Math.round(seconds)} s` : `${seconds.toFixed(1)} s`;
}
