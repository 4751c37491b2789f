import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assignTrackIds, expandInputs } from '../../../src/package/sources.js';
import { tempDir } from '../../helpers/temp.js';

const root = tempDir();
const music = join(root, 'music');
for (const dir of ['a', 'a/deep', 'b', '.hidden']) mkdirSync(join(music, dir), { recursive: true });
for (const file of ['a/one.flac', 'a/deep/two.MP3', 'b/three.wav', 'b/notes.txt', 'b/.four.wav', '.hidden/five.wav', 'six.opus']) {
  writeFileSync(join(music, file), 'x');
}
symlinkSync(music, join(music, 'b', 'loop')); // a folder that contains itself
symlinkSync(join(music, 'missing.wav'), join(music, 'dangling.wav'));

describe('expandInputs', () => {
  it('walks folders recursively for audio extensions, skipping hidden entries, surviving symlink loops', async () => {
    const { sources, missing } = await expandInputs([music]);
    expect(missing).toEqual([]);
    expect(sources.map((s) => s.relativePath).sort()).toEqual(['a/deep/two.MP3', 'a/one.flac', 'b/three.wav', 'six.opus']);
  });

  it('does not walk into the output folder nor into folders hlsaudio wrote', async () => {
    const library = join(root, 'library');
    mkdirSync(join(library, 'out', 'song', 'high'), { recursive: true });
    mkdirSync(join(library, 'elsewhere', 'song', 'low'), { recursive: true });
    writeFileSync(join(library, 'song.flac'), 'x');
    writeFileSync(join(library, 'out', 'catalog.json'), '{}');
    writeFileSync(join(library, 'out', 'song', 'high', 'audio.aac'), 'x');
    writeFileSync(join(library, 'elsewhere', 'song', 'track.json'), '{}');
    writeFileSync(join(library, 'elsewhere', 'song', 'low', 'audio.mp3'), 'x');
    const { sources } = await expandInputs([library], [], join(library, 'out'));
    expect(sources.map((s) => s.relativePath)).toEqual(['song.flac']);
  });

  it('takes globs, list files and named files, each file once', async () => {
    const list = join(root, 'list.txt');
    writeFileSync(list, `# my sources\n${join(music, 'b/three.wav')}\n\n${join(music, 'b/notes.txt')}\n`);
    const { sources } = await expandInputs([join(music, 'a/*.flac'), join(music, 'a/one.flac')], [list]);
    expect(sources.map((s) => s.file.slice(music.length + 1)).sort()).toEqual(['a/one.flac', 'b/notes.txt', 'b/three.wav']);
  });

  it('reports inputs that name nothing, without stopping the others', async () => {
    const { sources, missing } = await expandInputs([join(music, 'nope.wav'), join(music, 'a/one.flac'), join(music, 'z/*.wav')]);
    expect(sources).toHaveLength(1);
    expect(missing.map((e) => [e.code, e.message.replace(music, 'music')])).toEqual([
      ['E_INPUT_MISSING', 'music/nope.wav: cannot read source (no such file or folder)'],
      ['E_INPUT_MISSING', 'music/z/*.wav: cannot read source (no such file or folder)'],
    ]);
  });
});

describe('assignTrackIds', () => {
  const source = (relativePath: string) => ({ file: join('/m', relativePath), relativePath });

  it('slugs file names, or paths with --id-from path', () => {
    expect([...assignTrackIds([source('Héllo World (Live).FLAC')], 'name').keys()]).toEqual(['hello-world-live']);
    expect([...assignTrackIds([source('x/Intro.wav'), source('y/Intro.wav')], 'path').keys()]).toEqual(['x-intro', 'y-intro']);
  });

  it('reports every clash before any work', () => {
    expect(() => assignTrackIds([source('x/Intro.wav'), source('y/intro.flac'), source('z/Outro.wav')], 'name')).toThrow(
      'Sources would share a track id (rename them, or use --id-from path):\n  track id "intro": /m/x/Intro.wav, /m/y/intro.flac',
    );
  });
});
