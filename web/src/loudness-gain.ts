import { dbToGain, loudnessOf, normalisationGainDb } from '../../src/client/index.js';

/**
 * Loudness normalisation through Web Audio: the element plays into a GainNode. The graph is built
 * the first time the listener turns normalisation on (a click, which lets the AudioContext start);
 * until then the element plays as usual. No figures for a track: no gain.
 */
export class LoudnessGain {
  private context: AudioContext | undefined;
  private gain: GainNode | undefined;
  private enabled = false;
  private db = 0;

  constructor(private readonly audio: HTMLMediaElement) {}

  /** The gain (dB) the track gets when normalisation is on; undefined when it has no figures. */
  setTrack(entry: unknown): number | undefined {
    const loudness = loudnessOf(entry);
    this.db = normalisationGainDb(loudness);
    this.apply();
    return loudness ? this.db : undefined;
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (enabled && !this.context) {
      this.context = new AudioContext();
      this.gain = this.context.createGain();
      this.context.createMediaElementSource(this.audio).connect(this.gain).connect(this.context.destination);
    }
    if (enabled) void this.context?.resume();
    this.apply();
  }

  /** The linear factor applied now. */
  get factor(): number {
    return this.enabled ? dbToGain(this.db) : 1;
  }

  private apply(): void {
    if (this.gain) this.gain.gain.value = this.factor;
  }
}
