import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { HlsaudioError } from '../errors.js';

export type BinarySource = 'env' | 'path' | 'bundled';

export interface Binary {
  path: string;
  source: BinarySource;
  /** First line of `-version`, such as "ffmpeg version 5.1.9-0+deb12u1". */
  version: string;
}

export interface MediaTools {
  ffmpeg: Binary;
  ffprobe: Binary;
}

const INSTALL_HINT =
  'Install ffmpeg (Debian/Ubuntu: `apt-get install -y ffmpeg`, macOS: `brew install ffmpeg`), ' +
  'or set FFMPEG_PATH and FFPROBE_PATH, or reinstall hlsaudio with its optional dependencies ' +
  '(@ffmpeg-installer/ffmpeg, @ffprobe-installer/ffprobe).';

const TOOLS = {
  ffmpeg: { env: 'FFMPEG_PATH', bundledPackage: '@ffmpeg-installer/ffmpeg' },
  ffprobe: { env: 'FFPROBE_PATH', bundledPackage: '@ffprobe-installer/ffprobe' },
} as const;

let located: Promise<MediaTools> | undefined;

/**
 * Finds ffmpeg and ffprobe once per process, each in this order: FFMPEG_PATH / FFPROBE_PATH, the
 * PATH, then the binaries of the optional npm packages @ffmpeg-installer/ffmpeg and
 * @ffprobe-installer/ffprobe. A binary must answer `-version` to be taken. A variable that is set but
 * names a binary that does not work is an error, not a reason to fall back silently.
 */
export function locateMediaTools(env: NodeJS.ProcessEnv = process.env): Promise<MediaTools> {
  if (env === process.env) return (located ??= findTools(env));
  return findTools(env);
}

async function findTools(env: NodeJS.ProcessEnv): Promise<MediaTools> {
  const [ffmpeg, ffprobe] = await Promise.all([findTool('ffmpeg', env), findTool('ffprobe', env)]);
  return { ffmpeg, ffprobe };
}

async function findTool(name: keyof typeof TOOLS, env: NodeJS.ProcessEnv): Promise<Binary> {
  const { env: variable, bundledPackage } = TOOLS[name];
  const fromEnv = env[variable];
  if (fromEnv) {
    const version = await versionOf(fromEnv);
    if (version) return { path: fromEnv, source: 'env', version };
    throw new HlsaudioError('E_FFMPEG_NOT_FOUND', `${variable}=${fromEnv} does not run as ${name} (\`${fromEnv} -version\` failed). ${INSTALL_HINT}`, {
      field: variable,
    });
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (!(await isExecutable(candidate))) continue;
    const version = await versionOf(candidate);
    if (version) return { path: candidate, source: 'path', version };
  }
  const bundled = bundledPath(bundledPackage);
  if (bundled) {
    const version = await versionOf(bundled);
    if (version) return { path: bundled, source: 'bundled', version };
  }
  throw new HlsaudioError('E_FFMPEG_NOT_FOUND', `No working ${name} found (looked at ${variable}, PATH and ${bundledPackage}). ${INSTALL_HINT}`);
}

function bundledPath(packageName: string): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return (require(packageName) as { path: string }).path;
  } catch {
    return undefined; // optional dependency not installed, or no binary for this platform
  }
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function versionOf(binary: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(binary, ['-hide_banner', '-version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => resolve(code === 0 ? out.split('\n')[0]?.split(' Copyright')[0]?.trim() : undefined));
  });
}
