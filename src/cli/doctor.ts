import { locateMediaTools } from '../media/locate.js';
import { runMediaTool } from '../media/run.js';
import { VERSION } from '../version.js';

/** Which ffmpeg and ffprobe are used (FFMPEG_PATH, PATH or bundled) and whether they have our encoders. */
export async function runDoctor(): Promise<void> {
  const tools = await locateMediaTools();
  const encoders = await runMediaTool(tools.ffmpeg.path, ['-hide_banner', '-encoders'], { file: tools.ffmpeg.path, what: 'listing encoders' });
  const has = (name: string) => new RegExp(`^\\s*A\\S*\\s+${name}\\s`, 'm').test(encoders);
  const lines = [
    `hlsaudio ${VERSION} on Node ${process.version}`,
    `ffmpeg:  ${tools.ffmpeg.version} [${tools.ffmpeg.source}] ${tools.ffmpeg.path}`,
    `ffprobe: ${tools.ffprobe.version} [${tools.ffprobe.source}] ${tools.ffprobe.path}`,
    `encoders: aac ${has('aac') ? 'yes' : 'MISSING'}, libmp3lame ${has('libmp3lame') ? 'yes' : 'MISSING'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
