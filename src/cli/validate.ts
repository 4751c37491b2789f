import chalk from 'chalk';
import { displayPath } from '../errors.js';
import { type Finding, validateOutput } from '../validate/index.js';
import { EXIT } from './exit-codes.js';

function line(finding: Finding): string {
  const where = finding.line === undefined ? finding.file : `${finding.file}:${finding.line}`;
  const label = finding.severity === 'error' ? chalk.red('error  ') : chalk.yellow('warning');
  return `  ${label} ${where}  ${finding.message} [${finding.rule}]`;
}

export async function runValidate(dir: string, options: { json?: boolean }): Promise<void> {
  const report = await validateOutput(dir);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const track of report.tracks) {
      const mark = track.ok ? chalk.green('✔') : chalk.red('✖');
      process.stdout.write(`${mark} ${track.id}${track.warnings.length ? ` (${track.warnings.length} warnings)` : ''}\n`);
      for (const finding of [...track.errors, ...track.warnings]) process.stdout.write(`${line(finding)}\n`);
    }
    const catalogFindings = [...report.catalog.errors, ...report.catalog.warnings];
    process.stdout.write(`${report.catalog.errors.length ? chalk.red('✖') : chalk.green('✔')} catalog.json\n`);
    for (const finding of catalogFindings) process.stdout.write(`${line(finding)}\n`);
    const verdict = report.ok ? 'valid' : 'INVALID';
    process.stdout.write(`${displayPath(report.out_dir)}: ${verdict}: ${report.tracks.length} tracks, ${report.errors} errors, ${report.warnings} warnings\n`);
  }
  if (!report.ok) process.exitCode = EXIT.failures;
}
