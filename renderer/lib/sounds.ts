// A distinct short sound per outcome, made with WebAudio oscillators (no audio files): staff
// hear where an item goes without looking up. Pitch rises for good news and falls for trouble.
import type { Tone } from './outcome.js';

interface Note {
  readonly hz: number;
  readonly ms: number;
  readonly wave?: OscillatorType;
}

const tunes: Record<Tone, readonly Note[]> = {
  hold: [
    { hz: 660, ms: 110 },
    { hz: 880, ms: 110 },
    { hz: 1175, ms: 160 },
  ],
  transit: [
    { hz: 740, ms: 90 },
    { hz: 740, ms: 90 },
    { hz: 740, ms: 90 },
  ],
  home: [
    { hz: 587, ms: 120 },
    { hz: 587, ms: 120 },
  ],
  float: [{ hz: 523, ms: 200, wave: 'triangle' }],
  reshelve: [{ hz: 988, ms: 70 }],
  alert: [{ hz: 220, ms: 380, wave: 'square' }],
  error: [
    { hz: 330, ms: 150, wave: 'sawtooth' },
    { hz: 220, ms: 250, wave: 'sawtooth' },
  ],
  undone: [
    { hz: 880, ms: 80 },
    { hz: 523, ms: 120 },
  ],
};

let audio: AudioContext | undefined;

export function playTone(tone: Tone): void {
  try {
    audio ??= new AudioContext();
    // A context made before any user gesture starts suspended; a scan is a gesture.
    if (audio.state === 'suspended') void audio.resume();
    let at = audio.currentTime + 0.01;
    for (const note of tunes[tone]) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = note.wave ?? 'sine';
      oscillator.frequency.value = note.hz;
      const end = at + note.ms / 1000;
      // Short ramps at both ends: no clicks.
      gain.gain.setValueAtTime(0, at);
      gain.gain.linearRampToValueAtTime(0.2, at + 0.01);
      gain.gain.setValueAtTime(0.2, end - 0.02);
      gain.gain.linearRampToValueAtTime(0, end);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(at);
      oscillator.stop(end);
      at = end + 0.03;
    }
  } catch {
    // No audio device: the banner still says everything.
  }
}

/** The notes of a tone (for the page to show which sound is which, and for tests). */
export function toneNotes(tone: Tone): readonly Note[] {
  return tunes[tone];
}
