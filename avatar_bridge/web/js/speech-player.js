// Plays the bridge's speech: PCM16 frames scheduled back to back on the WebAudio clock, and the
// `speech` timelines (visemes, words) and `gesture` cues read from that same clock, so the mouth,
// the caption highlight and the gestures stay with the sound. All protocol times are ms from the
// start of the utterance's audio; t0 is when that start is (or was) heard, in AudioContext seconds.

const LEAD_S = 0.08; // schedule a little ahead so the first frames never underrun

export class SpeechPlayer extends EventTarget {
  constructor(audioContext = null) {
    super();
    this.ctx = audioContext;
    this.utterances = new Map();
    this.current = null; // the utterance whose frames are arriving
    this.playing = null; // the utterance being heard
    this.gain = null;
  }

  now() {
    return this.ctx ? this.ctx.currentTime - (this.ctx.outputLatency || 0) : performance.now() / 1000;
  }

  _utterance(id) {
    if (!this.utterances.has(id)) {
      this.utterances.set(id, { id, t0: null, visemes: [], words: [], display: [], gestures: [], speeches: [], sources: [],
        until: 0, endReceived: false, done: false, firstSpeechAt: null, audibleAt: null, speechBytes: 0, rate: 22050,
        offset: 0 });
    }
    return this.utterances.get(id);
  }

  /** A `speech` message: its timeline, and the frames that follow belong to it. */
  speech(message) {
    const u = this._utterance(message.utterance_id);
    if (u.done) return;
    if (u.firstSpeechAt == null) u.firstSpeechAt = performance.now();
    u.visemes.push(...message.visemes);
    // captions: the sentence as written ("C13") with the spoken words that say each token ("C thirteen");
    // from a bridge without `display_words`, the spoken words themselves
    const base = u.words.length;
    const display = message.display_words || message.words.map((w, i) => ({ word: w.word, first: i, last: i }));
    u.display.push(...display.map((d) => ({ word: d.word, first: d.first == null ? null : base + d.first,
      last: d.last == null ? null : base + d.last })));
    u.words.push(...message.words.map((w) => ({ ...w, seq: message.seq })));
    u.speeches.push(message);
    u.rate = message.sample_rate;
    u.offset = message.offset_ms / 1000;
    u.speechBytes = 0;
    this.current = u;
    this.dispatchEvent(new CustomEvent("speech", { detail: { utterance: u, message } }));
  }

  /** A binary frame: PCM16 little-endian mono at the current speech's sample rate. */
  audio(buffer) {
    const u = this.current;
    if (!u || u.done) return;
    const samples = new Int16Array(buffer);
    const start = u.offset + u.speechBytes / 2 / u.rate;
    u.speechBytes += buffer.byteLength;
    const duration = samples.length / u.rate;
    if (u.t0 == null) {
      u.t0 = this.now() + LEAD_S;
      u.audibleAt = performance.now() + LEAD_S * 1000;
      this.playing = u;
      this.dispatchEvent(new CustomEvent("started", { detail: u }));
    }
    const late = this.now() + 0.005 - (u.t0 + start);
    if (late > 0) u.t0 += late; // underrun: the rest of the utterance (sound and timeline) moves together
    u.until = Math.max(u.until, start + duration);
    if (!this.ctx) return;
    const audioBuffer = this.ctx.createBuffer(1, samples.length, u.rate);
    const channel = audioBuffer.getChannelData(0);
    for (let i = 0; i < samples.length; i++) channel[i] = samples[i] / 32768;
    const source = this.ctx.createBufferSource();
    source.buffer = audioBuffer;
    source.connect(this.ctx.destination);
    source.start(u.t0 + start + (this.ctx.outputLatency || 0));
    u.sources.push(source);
    if (u.sources.length > 200) u.sources.splice(0, 100); // long finished ones; stop() only needs recent ones
  }

  gesture(message) {
    if (!message.utterance_id) {
      this.dispatchEvent(new CustomEvent("gesture", { detail: message }));
      return;
    }
    const u = this._utterance(message.utterance_id);
    if (!u.done) u.gestures.push({ ...message, fired: false });
  }

  speechEnd(message) {
    const u = this.utterances.get(message.utterance_id);
    if (!u) return;
    u.endReceived = true;
    if (message.interrupted) this._finish(u, true);
    else if (u.t0 == null) this._finish(u, false); // nothing to play
  }

  /** Barge-in on this side: silence at once. */
  stop() {
    for (const u of this.utterances.values()) if (!u.done) this._finish(u, true);
  }

  get speaking() {
    return [...this.utterances.values()].some((u) => !u.done && u.t0 != null);
  }

  /** Called every animation frame: what should be shown now. */
  tick() {
    const u = this.playing;
    if (!u || u.done || u.t0 == null) return { viseme: "sil", word: null, utterance: null };
    const tMs = (this.now() - u.t0) * 1000;
    for (const g of u.gestures) {
      if (!g.fired && tMs >= g.at_ms) {
        g.fired = true;
        this.dispatchEvent(new CustomEvent("gesture", { detail: g }));
      }
    }
    let viseme = "sil";
    for (const v of u.visemes) {
      if (v.t_ms > tMs) break;
      if (tMs < v.t_ms + Math.max(40, v.dur_ms)) viseme = v.viseme;
    }
    let word = null;
    u.words.forEach((w, i) => {
      if (w.t_ms <= tMs) word = i;
    });
    if (u.endReceived && tMs >= u.until * 1000 + 30) {
      this._finish(u, false);
      return { viseme: "sil", word: null, utterance: null };
    }
    return { viseme, word, utterance: u, tMs };
  }

  _finish(u, interrupted) {
    if (u.done) return;
    u.done = true;
    for (const s of u.sources) {
      try {
        if (interrupted) s.stop();
      } catch {
        /* already stopped */
      }
    }
    if (this.playing === u) this.playing = null;
    if (this.current === u) this.current = null;
    this.dispatchEvent(new CustomEvent("ended", { detail: { utterance: u, interrupted } }));
  }
}
