// Microphone capture with WebAudio: the device's audio, resampled to 16 kHz mono PCM16 and handed out
// as ArrayBuffers of ~40 ms, ready to send as protocol binary frames.

export const TARGET_RATE = 16000;

/** Linear-interpolation resampler that keeps its phase across blocks. */
export class Resampler {
  constructor(fromRate, toRate = TARGET_RATE) {
    this.step = fromRate / toRate;
    this.pos = 0;
    this.prev = 0;
  }

  /** @param {Float32Array} input  @returns {Int16Array} */
  push(input) {
    const x = (k) => (k < 0 ? this.prev : input[k]); // the block, preceded by the last sample of the previous one
    const out = [];
    while (this.pos < input.length - 1) {
      const i = Math.floor(this.pos);
      const a = x(i), b = x(i + 1);
      out.push(a + (b - a) * (this.pos - i));
      this.pos += this.step;
    }
    this.pos -= input.length;
    this.prev = input[input.length - 1];
    const pcm = new Int16Array(out.length);
    out.forEach((v, j) => (pcm[j] = Math.round(Math.max(-1, Math.min(1, v)) * 32767)));
    return pcm;
  }
}

export class Microphone {
  constructor(audioContext, onChunk) {
    this.ctx = audioContext;
    this.onChunk = onChunk;
    this.stream = null;
    this.active = false;
  }

  async start() {
    if (this.active) return;
    this.active = true;
    try {
      if (!this._moduleLoaded) {
        await this.ctx.audioWorklet.addModule(new URL("./mic-worklet.js", import.meta.url));
        this._moduleLoaded = true;
      }
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
    } catch (error) {
      this.active = false;
      throw error;
    }
    if (!this.active) { // stopped while the permission prompt was open
      this._release();
      return;
    }
    const resampler = new Resampler(this.ctx.sampleRate);
    this.source = this.ctx.createMediaStreamSource(this.stream);
    this.node = new AudioWorkletNode(this.ctx, "lobby-capture");
    this.node.port.onmessage = (event) => {
      if (!this.active) return;
      const pcm = resampler.push(event.data);
      if (pcm.length) this.onChunk(pcm.buffer);
    };
    this.source.connect(this.node);
  }

  stop() {
    this.active = false;
    this._release();
  }

  _release() {
    this.source?.disconnect();
    this.node?.port.close();
    this.node?.disconnect();
    this.stream?.getTracks().forEach((t) => t.stop());
    this.source = this.node = this.stream = null;
  }
}
