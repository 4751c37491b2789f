import { Command, CommanderError, Option } from 'commander';
import { packageDefaults, redisDefaults, redisPresenceDefaults, serveDefaults } from '../defaults.js';
import { isHlsaudioError } from '../errors.js';
import { VERSION } from '../version.js';
import { interrupt } from './context.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

// node:sqlite (the analytics) is stable in use but still flagged experimental in Node 22.13 to 24.14,
// which print a warning on first use; a user of `hlsaudio serve` cannot act on it.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (String(warning).includes('SQLite is an experimental feature')) return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

/**
 * The only file that calls process.exit: commands throw HlsaudioError, and this maps codes to exit
 * statuses (README, "Exit codes"). Subcommands are imported when run, so `--help` stays instant.
 */
const program = new Command('hlsaudio')
  .description('Package a music catalog into adaptive byte-range HLS audio, validate it, and serve it.')
  .option('--verbose', 'show stack traces and ffmpeg output on errors')
  .addHelpText('after', '\nRun `hlsaudio <command> --help` for a command\'s options. Exit codes are listed in the README.')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

program
  .command('package')
  .description('transcode sources into the profile ladder and write byte-range HLS, track.json and catalog.json')
  .argument('[inputs...]', 'audio files, folders (walked recursively) or glob patterns')
  .option('-o, --out <dir>', 'output folder', 'out')
  .option('--profiles <file|dir>', 'ladder to use: a profile JSON file (object or array) or a folder of them (default: the four spec profiles)')
  .option('--only <ids>', 'comma-separated quality_ids to build, such as high,mobile')
  .option('--segment-duration <seconds>', 'target segment duration', String(packageDefaults.segmentDurationSec))
  .option('--concurrency <n>', 'encoder processes at once (default: number of cores)')
  .option('--id <track_id>', 'track id for a single source (default: slug of the file name)')
  .addOption(new Option('--id-from <what>', 'derive track ids from the file name or from the path below the folder given').choices(['name', 'path']).default('name'))
  .option('--list <file>', 'read more source paths from a file, one per line (repeatable)', collect, [])
  .option('--shard <i/n>', 'build only shard i of n (by track id), for CI matrices')
  .option('--force', 'rebuild tracks whose output is up to date')
  .option('--keep-encoder-delay', 'packed audio: keep the encoders\' priming samples instead of advancing the input to cancel them')
  .addOption(new Option('--container <container>', 'container of every AAC profile, over the profiles\' own: packed audio or fMP4 (CMAF); MP3 stays packed, FLAC is always fMP4').choices(['packed', 'fmp4']))
  .option('--loudness-target <LUFS>', `normalise every variant to this integrated loudness (${packageDefaults.loudnessTargetMinLufs} to ${packageDefaults.loudnessTargetMaxLufs}, e.g. -14 or -16); without it the audio is left as the source and only measured`)
  .option('--true-peak-ceiling <dBTP>', 'with --loudness-target: the highest true peak a variant may reach, limited where the gain needs it', String(packageDefaults.truePeakCeilingDbtp))
  .addOption(new Option('--loudness-mode <mode>', 'with --loudness-target: normalize raises or lowers, attenuate only lowers').choices(['normalize', 'attenuate']))
  .option('--accept-damaged', 'build sources that decode with errors or shorter than their container says, recording the damage in track.json (default: fail them, E_INPUT_CORRUPT)')
  .option('--previous-build-grace <seconds>', 'how long a rebuild keeps serving the previous build\'s media and playlists to players that hold them', String(packageDefaults.previousBuildGraceSec))
  .option('--json', 'print a machine-readable summary on stdout')
  .option('-q, --quiet', 'print errors only')
  .action(async (inputs: string[], options: Record<string, unknown>) => {
    const { runPackage } = await import('./package.js');
    return runPackage(inputs, options);
  });

program
  .command('catalog')
  .description('rebuild catalog.json from the track.json files of an output folder (after merging shards)')
  .argument('<dir>', 'output folder')
  .option('--json', 'print the catalog on stdout')
  .action(async (dir: string, options: { json?: boolean }) => {
    const { runCatalog } = await import('./catalog.js');
    return runCatalog(dir, options);
  });

program
  .command('validate')
  .description('check an output folder against RFC 8216 and the measured media (exit 1 on any error)')
  .argument('<dir>', 'output folder written by `hlsaudio package`')
  .option('--json', 'print the full report as JSON')
  .action(async (dir: string, options: { json?: boolean }) => {
    const { runValidate } = await import('./validate.js');
    return runValidate(dir, options);
  });

program
  .command('serve')
  .description('serve a folder written by `package`: HLS with byte ranges, progressive /stream/, the sessions API, the WebSocket event server, analytics and the player page')
  .argument('[dir]', 'output folder of `hlsaudio package`', 'out')
  .option('--port <n>', 'TCP port; 0 takes a free one (the startup line says which)', String(serveDefaults.port))
  .option('--host <address>', 'address to listen on; 0.0.0.0 for every interface', serveDefaults.host)
  .option('--media-cache <MiB>', 'memory for recently served segment ranges; 0 disables', String(serveDefaults.mediaCacheBytes / 2 ** 20))
  .option('--data-dir <dir>', 'server-side playlists and event-server stats (default: <dir>/.hlsaudio)')
  .option('--db <file|url>', 'listening analytics database: an SQLite file (default: <dir>/.hlsaudio/analytics.db), or PostgreSQL shared by several nodes, postgres://user@host:5432/db (or HLSAUDIO_DB_URL, the place for a password)')
  .option('--jwks <file>', 'verify WebSocket tokens against this JWKS file (or HLSAUDIO_JWKS_FILE; an HS256 secret comes from HLSAUDIO_JWT_SECRET)')
  .option('--redis <url>', 'share events, streaming sessions, LiveStats, connection quotas and server-side playlists with the other serve nodes through this Redis, redis://host:6379, or the master that Redis Sentinel names, redis+sentinel://s1:26379,s2:26379/mymaster (or HLSAUDIO_REDIS_URL, the place for a password: a command line is visible to every user of the machine)')
  .option('--redis-stream-max-len <entries>', 'events the shared Redis stream keeps: a node away for longer than that many events gets a gap signal', String(redisDefaults.streamMaxLen))
  .option('--redis-presence-ttl <ms>', 'how long the other nodes keep counting a node that stopped (its listeners in LiveStats, its connections in the quotas), after its last heartbeat', String(redisPresenceDefaults.presenceTtlMs))
  .option('--trust-proxy <list>', 'the load balancers in front of this node, whose X-Forwarded-For names the client: comma-separated IP addresses and CIDR ranges, or loopback for 127.0.0.0/8 and ::1 (or HLSAUDIO_TRUST_PROXY). Per-address limits, WebSocket and session records and the analytics then count the client it names; a request from any other address is counted by its own, header ignored')
  .option('--workers <n|auto>', 'run n processes on this machine sharing the port (auto: one per core), each a node on the --redis given (required); a worker that dies is replaced, Ctrl-C stops them all')
  .action(async (dir: string, options: import('./serve.js').ServeCliOptions) => {
    const { runServe } = await import('./serve.js');
    return runServe(dir, options);
  });

program
  .command('doctor')
  .description('show which ffmpeg and ffprobe are used and what they can encode')
  .action(async () => {
    const { runDoctor } = await import('./doctor.js');
    return runDoctor();
  });

program.version(`hlsaudio ${VERSION}`, '-V, --version', 'print the version (`hlsaudio doctor` tells which ffmpeg is used)');

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** First SIGINT/SIGTERM: stop cleanly (commands kill their ffmpeg and remove temporary folders). Second: exit now. */
function handleSignals(): void {
  for (const [signal, status] of [['SIGINT', EXIT.interrupted], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      if (interrupt.signal.aborted) process.exit(status);
      process.exitCode = status;
      interrupt.abort(signal);
    });
  }
}

async function main(): Promise<void> {
  handleSignals();
  try {
    await program.parseAsync(process.argv);
    process.exitCode ??= EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    const verbose = program.opts<{ verbose?: boolean }>().verbose === true;
    if (interrupt.signal.aborted) return; // the status set by the signal stands
    if (isHlsaudioError(error)) {
      process.stderr.write(`hlsaudio: ${error.message}\n`);
      if (verbose && error.cause) process.stderr.write(`${(error.cause as Error).stack ?? String(error.cause)}\n`);
      process.exitCode = exitCodeFor(error.code);
    } else {
      process.stderr.write(`hlsaudio: internal error: ${(error as Error)?.message ?? error}\n`);
      if (verbose) process.stderr.write(`${(error as Error)?.stack}\n`);
      process.exitCode = EXIT.failures;
    }
  }
}

await main();
