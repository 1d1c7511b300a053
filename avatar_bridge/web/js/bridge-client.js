// A protocol v1 client (docs/protocol.md) that keeps itself connected: when the websocket drops it
// reconnects with exponential back-off and says hello again, so the page can keep what it shows.
// Messages typed while disconnected are queued and sent after the new session starts.
// The hello after a drop carries `resume` with the last session id, so the conversation goes on
// (the bridge refuses ids it did not issue or conversations that ended, and starts a fresh one).
// Close code 4002 (`ended_by_admin`): staff ended the conversation; the client forgets its id and reconnects
// to a fresh conversation, so the kiosk is ready for the next citizen. 4001 (`bad_token`): it stops.

export const CLOSE_REFUSED = 4001;
export const CLOSE_ENDED_BY_ADMIN = 4002;

export function bridgeUrl(base = location.href) {
  const url = new URL("/ws", base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

export class BridgeClient extends EventTarget {
  /** @param {string} url  @param {() => object} hello  returns the hello fields (read on every connect)
   *  @param {{resumeId?: string|null}} options  resumeId: a session to continue (e.g. kept across a page reload) */
  constructor(url, hello, { minDelayMs = 500, maxDelayMs = 8000, resumeId = null } = {}) {
    super();
    this.url = url;
    this.hello = hello;
    this.minDelayMs = minDelayMs;
    this.maxDelayMs = maxDelayMs;
    this.attempt = 0;
    this.ws = null;
    this.ready = false; // session received
    this.queue = [];
    this.stopped = false;
    this.status = "idle";
    this.sessionId = resumeId; // the conversation to continue on the next connect
  }

  connect() {
    this.stopped = false;
    this._setStatus(this.attempt ? "reconnecting" : "connecting");
    const ws = new WebSocket(this.url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      const resume = this.sessionId ? { resume: { session_id: this.sessionId } } : {};
      ws.send(JSON.stringify({ type: "hello", protocol: "1", ...this.hello(), ...resume }));
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== "string") {
        this.dispatchEvent(new CustomEvent("audio", { detail: event.data }));
        return;
      }
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        console.warn("bridge sent text that is not JSON", event.data);
        return;
      }
      if (message.type === "session") {
        const reconnected = this.attempt > 0;
        this.attempt = 0;
        this.sessionId = message.session_id;
        this.ready = true;
        this._setStatus("open");
        this.dispatchEvent(new CustomEvent("message", { detail: { ...message, reconnected } }));
        for (const queued of this.queue.splice(0)) this.send(queued);
        return;
      }
      this.dispatchEvent(new CustomEvent("message", { detail: message }));
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ready = false;
      this.ws = null;
      this.dispatchEvent(new CustomEvent("closed", { detail: { code: event.code } }));
      if (event.code === CLOSE_ENDED_BY_ADMIN && !this.stopped) {
        // a fresh conversation, not a lost connection: nothing to resume (it ended for good), no back-off,
        // and no "reconnecting" status over the page's explanation
        this.sessionId = null;
        this.attempt = 0;
        setTimeout(() => this.stopped || this.connect(), this.minDelayMs);
        return;
      }
      if (this.stopped || event.code === CLOSE_REFUSED) {
        this._setStatus(event.code === CLOSE_REFUSED ? "refused" : "closed");
        return;
      }
      const delay = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
      this.attempt += 1;
      this._setStatus("reconnecting");
      setTimeout(() => this.stopped || this.connect(), delay);
    };
  }

  /** Send a JSON message; queued until the session is back if the connection is down (except audio). */
  send(message) {
    if (this.ready && this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    if (["text", "button", "reset", "settings"].includes(message.type)) this.queue.push(message);
    return false;
  }

  sendAudio(buffer) {
    if (this.ready && this.ws?.readyState === WebSocket.OPEN) this.ws.send(buffer);
  }

  close() {
    this.stopped = true;
    this.ws?.close();
  }

  _setStatus(status) {
    this.status = status;
    this.dispatchEvent(new CustomEvent("status", { detail: status }));
  }
}
