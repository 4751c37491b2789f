import { type Peaks, waveformBars } from '../../src/client/index.js';

/** Pixels per bar (bar plus gap) of the waveform seek bar. */
const BAR_STEP_PX = 3;

/**
 * The track's waveform drawn behind the seek slider (which stays the control: keyboard, screen
 * readers and the tests use it), the part already played in the accent colour.
 */
export class Waveform {
  private bars: number[] = [];
  private peaks: Peaks | undefined;

  constructor(private readonly canvas: HTMLCanvasElement) {}

  /** The waveform of a new track, or undefined to show the plain slider. */
  show(peaks: Peaks | undefined): void {
    this.peaks = peaks;
    this.canvas.hidden = !peaks;
    this.canvas.closest('.seek')?.classList.toggle('has-waveform', Boolean(peaks));
    this.bars = [];
    this.draw(0);
  }

  /** Draws with `played` (0 to 1) of the track played. */
  draw(played: number): void {
    const peaks = this.peaks;
    if (!peaks) return;
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
      this.bars = [];
    }
    const step = BAR_STEP_PX * ratio;
    const count = Math.max(1, Math.floor(width / step));
    if (this.bars.length !== count) this.bars = waveformBars(peaks, count);
    const context = canvas.getContext('2d');
    if (!context) return;
    const style = getComputedStyle(canvas);
    context.clearRect(0, 0, width, height);
    this.bars.forEach((bar, index) => {
      const barHeight = Math.max(ratio, bar * height);
      context.fillStyle = index / count < played ? style.getPropertyValue('--accent') || '#2f6fde' : style.getPropertyValue('--muted') || '#6b7280';
      context.fillRect(index * step, (height - barHeight) / 2, step - ratio, barHeight);
    });
  }
}
