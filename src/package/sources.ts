import { glob, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, relative, resolve } from 'node:path';
import { displayPath, errnoText, HlsaudioError } from '../errors.js';
import { CATALOG_FILE, TRACK_FILE } from '../catalog/schema.js';
import { slugify, TRACK_ID } from '../catalog/track-id.js';

/** Extensions picked up when a folder is walked; a file named on the command line is taken whatever its name. */
export const AUDIO_EXTENSIONS = new Set([
  '.wav', '.wave', '.flac', '.mp3', '.ogg', '.oga', '.opus', '.m4a', '.aac', '.aif', '.aiff', '.aifc', '.wv', '.caf', '.mka', '.webm',
]);

export interface SourceFile {
  /** Absolute path. */
  file: string;
  /** Path relative to the folder it was found in (or to the working directory), for `--id-from path`. */
  relativePath: string;
}

export interface ExpandedInputs {
  sources: SourceFile[];
  /** Inputs that named nothing readable: reported as failed tracks, the others still run. */
  missing: HlsaudioError[];
}

/**
 * Expands command-line inputs: files, folders (walked recursively for audio extensions, hidden
 * entries skipped, symlinked folders followed once each so loops end), glob patterns, and `--list`
 * files of paths. The same file named twice is taken once. Order is sorted, so runs are repeatable.
 * A walk never enters `skipDir` (the output folder, when it lies inside an input folder) nor any
 * folder hlsaudio wrote (one holding a catalog.json or a track.json): its media are not sources. A
 * folder or entry the walk cannot read (permissions) is one failed input, and the walk goes on.
 */
export async function expandInputs(inputs: readonly string[], listFiles: readonly string[] = [], skipDir?: string): Promise<ExpandedInputs> {
  const named = [...inputs];
  for (const list of listFiles) named.push(...(await readList(list)));
  const sources = new Map<string, SourceFile>();
  const missing: HlsaudioError[] = [];
  const add = async (file: string, relativePath: string) => {
    const real = await realpath(file).catch(() => resolve(file));
    if (!sources.has(real)) sources.set(real, { file: resolve(file), relativePath });
  };
  for (const input of named) {
    const info = await stat(input).catch((cause: NodeJS.ErrnoException) => cause);
    if (!(info instanceof Error)) {
      if (info.isDirectory()) {
        const walked = await walk(input, skipDir);
        for (const file of walked.files) await add(file, relative(input, file));
        missing.push(...walked.unreadable);
      } else {
        await add(input, relative(process.cwd(), resolve(input)));
      }
      continue;
    }
    if (/[*?[{]/.test(input)) {
      const matches: string[] = [];
      for await (const match of glob(input)) matches.push(match);
      if (matches.length > 0) {
        for (const match of matches.sort()) {
          if ((await stat(match)).isFile()) await add(match, relative(process.cwd(), resolve(match)));
        }
        continue;
      }
    }
    missing.push(
      new HlsaudioError('E_INPUT_MISSING', `${displayPath(resolve(input))}: cannot read source (${errnoText(info)})`, { file: resolve(input), cause: info }),
    );
  }
  return { sources: [...sources.values()].sort((a, b) => a.file.localeCompare(b.file)), missing };
}

async function readList(list: string): Promise<string[]> {
  const text = await readFile(list, 'utf8').catch((cause: unknown) => {
    throw new HlsaudioError('E_OPTION', `${displayPath(resolve(list))}: cannot read --list file (${errnoText(cause)})`, { file: list, field: '--list', cause });
  });
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

async function walk(root: string, skipDir: string | undefined): Promise<{ files: string[]; unreadable: HlsaudioError[] }> {
  const files: string[] = [];
  const unreadable: HlsaudioError[] = [];
  const visited = new Set<string>();
  const skipped = skipDir ? await realpath(skipDir).catch(() => resolve(skipDir)) : undefined;
  const visit = async (dir: string) => {
    let entries;
    try {
      const real = await realpath(dir);
      if (visited.has(real) || real === skipped) return; // a symlink loop, a folder reached twice, the output
      visited.add(real);
      entries = await readdir(dir, { withFileTypes: true });
    } catch (cause) {
      const folder = resolve(dir);
      unreadable.push(new HlsaudioError('E_INPUT_MISSING', `${displayPath(folder)}: cannot read folder (${errnoText(cause)}); its audio files were not looked for`, { file: folder, cause }));
      return;
    }
    if (entries.some((entry) => entry.isFile() && (entry.name === CATALOG_FILE || entry.name === TRACK_FILE))) return;
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      const info = entry.isSymbolicLink() ? await stat(path).catch(() => undefined) : entry;
      if (!info) continue; // dangling link
      if (info.isDirectory()) await visit(path);
      else if (info.isFile() && AUDIO_EXTENSIONS.has(extname(entry.name).toLowerCase())) files.push(path);
    }
  };
  await visit(root);
  return { files, unreadable };
}

export type IdSource = 'name' | 'path';

/** The track id of each source: `--id` for a single source, else the slug of its file name or relative path. */
export function assignTrackIds(sources: readonly SourceFile[], idFrom: IdSource, explicitId?: string): Map<string, SourceFile> {
  if (explicitId !== undefined) {
    if (!TRACK_ID.test(explicitId)) {
      throw new HlsaudioError('E_OPTION', `Expected \`--id\` to be a URL-safe slug (lower-case letters, digits, - and _), got "${explicitId}"`, { field: '--id' });
    }
    if (sources.length !== 1) {
      throw new HlsaudioError('E_OPTION', `Expected \`--id\` to be used with exactly one source, got ${sources.length}`, { field: '--id' });
    }
  }
  const byId = new Map<string, SourceFile[]>();
  for (const source of sources) {
    const id = explicitId ?? slugify(idFrom === 'path' ? source.relativePath.replace(/\.[^./\\]+$/, '') : source.relativePath.split(/[\\/]/).pop()!.replace(/\.[^.]+$/, ''));
    byId.set(id, [...(byId.get(id) ?? []), source]);
  }
  const clashes = [...byId.entries()].filter(([, files]) => files.length > 1);
  if (clashes.length > 0) {
    const lines = clashes.map(([id, files]) => `track id "${id}": ${files.map((f) => displayPath(f.file)).join(', ')}`);
    throw new HlsaudioError(
      'E_INPUT_DUPLICATE_ID',
      `Sources would share a track id (rename them, or use --id-from path):\n  ${lines.join('\n  ')}`,
      { file: clashes[0]![1][0]!.file },
    );
  }
  return new Map([...byId.entries()].map(([id, files]) => [id, files[0]!]));
}
