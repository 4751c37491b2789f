import type { FileInfo } from './file-cache.js';
import { buildFrameView, type FrameView } from './progressive.js';
import type { TextFiles } from './text-files.js';

/** Frame-only views by media file, rebuilt when the media file or its playlist changes; LRU-bounded. */
export class FrameViews {
  private readonly views = new Map<string, Promise<FrameView>>();
  private readonly keys = new Map<string, string>();

  constructor(
    private readonly texts: TextFiles,
    private readonly capacity: number,
  ) {}

  /** The view of `media`, whose URI relative to `playlist` is `mediaUri`. */
  get(media: FileInfo, playlist: FileInfo, mediaUri: string): Promise<FrameView> {
    const key = `${media.etag}${playlist.etag}`;
    const cached = this.keys.get(media.path) === key ? this.views.get(media.path) : undefined;
    if (cached) return cached;
    const view = this.texts.read(playlist).then((text) => buildFrameView(text.toString('utf8'), media, playlist, mediaUri));
    view.catch(() => this.views.delete(media.path));
    this.views.set(media.path, view);
    this.keys.set(media.path, key);
    if (this.views.size > this.capacity) {
      const oldest = this.views.keys().next().value!;
      this.views.delete(oldest);
      this.keys.delete(oldest);
    }
    return view;
  }
}
