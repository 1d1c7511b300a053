// The project's own 2D guide, drawn as SVG: head, blinking and glancing eyes, eyebrows for emotion,
// a mouth shape for each of the 15 Oculus visemes (smoothly interpolated), two jointed arms with hands
// for the gesture vocabulary, idle breathing. Implements the interface in renderer.js.

const NS = "http://www.w3.org/2000/svg";
const SKIN = "#f1c9a5", SKIN_SHADE = "#d9a57f", HAIR = "#3b2a20", JACKET = "#1f4e79", SHIRT = "#ffffff";
const LIPS = "#b45a5a", CAVITY = "#4a1a20", TONGUE = "#d9767a", IRIS = "#4a3426";

// Mouth parameters per viseme: open (jaw), wide (corner spread), round (lip rounding), teeth, tongue, press.
const MOUTH = {
  sil: { open: 0, wide: 0.5, round: 0, teeth: 0, tongue: 0, press: 0 },
  PP: { open: 0, wide: 0.42, round: 0.1, teeth: 0, tongue: 0, press: 1 },
  FF: { open: 0.12, wide: 0.55, round: 0, teeth: 1, tongue: 0, press: 0 },
  TH: { open: 0.2, wide: 0.5, round: 0, teeth: 0.6, tongue: 0.9, press: 0 },
  DD: { open: 0.25, wide: 0.55, round: 0, teeth: 0.6, tongue: 0.4, press: 0 },
  kk: { open: 0.32, wide: 0.55, round: 0, teeth: 0.4, tongue: 0.2, press: 0 },
  CH: { open: 0.22, wide: 0.38, round: 0.55, teeth: 0.8, tongue: 0, press: 0 },
  SS: { open: 0.12, wide: 0.72, round: 0, teeth: 1, tongue: 0, press: 0 },
  nn: { open: 0.18, wide: 0.55, round: 0, teeth: 0.3, tongue: 0.6, press: 0 },
  RR: { open: 0.25, wide: 0.4, round: 0.55, teeth: 0.2, tongue: 0.2, press: 0 },
  aa: { open: 0.9, wide: 0.6, round: 0, teeth: 0.3, tongue: 0.3, press: 0 },
  E: { open: 0.45, wide: 0.8, round: 0, teeth: 0.5, tongue: 0.2, press: 0 },
  I: { open: 0.3, wide: 0.88, round: 0, teeth: 0.7, tongue: 0.1, press: 0 },
  O: { open: 0.62, wide: 0.32, round: 0.9, teeth: 0, tongue: 0.2, press: 0 },
  U: { open: 0.3, wide: 0.22, round: 1, teeth: 0, tongue: 0, press: 0 },
};
const MOUTH_KEYS = Object.keys(MOUTH.sil);
const MOUTH_TAU_S = 0.045; // smoothing time constant: fast enough for 40 ms visemes, no popping

// Arm poses: angles in degrees, "outward" positive (mirrored for the other arm); hand shapes by name.
// a = the avatar's left side as the citizen sees it (screen left), b = screen right.
const REST = { as: 9, ae: -8, aw: 0, bs: 9, be: -8, bw: 0, ah: "open", bh: "open", nod: 0, turn: 0, tilt: 0 };
const pose = (p) => ({ ...REST, ...p });
const GESTURE_KEYS = {
  idle: { ms: 600, frames: [[0, pose({})]] },
  wave: { ms: 1500, frames: [[0, pose({ bs: 135, be: 30 })], [0.25, pose({ bs: 135, be: 65 })],
    [0.5, pose({ bs: 135, be: 25 })], [0.75, pose({ bs: 135, be: 65 })], [1, pose({ bs: 135, be: 40 })]] },
  nod: { ms: 800, frames: [[0, pose({ nod: 0 })], [0.3, pose({ nod: 7 })], [0.6, pose({ nod: -1 })],
    [0.8, pose({ nod: 5 })], [1, pose({ nod: 0 })]] },
  shake: { ms: 800, frames: [[0, pose({})], [0.2, pose({ turn: -7 })], [0.45, pose({ turn: 7 })],
    [0.7, pose({ turn: -6 })], [1, pose({ turn: 0 })]] },
  point_left: { ms: 1600, frames: [[0, pose({ as: 84, ae: 4, ah: "point", turn: -6 })]] },
  point_right: { ms: 1600, frames: [[0, pose({ bs: 84, be: 4, bh: "point", turn: 6 })]] },
  point_forward: { ms: 1600, frames: [[0, pose({ bs: 22, be: -78, bw: -20, bh: "point", nod: 2 })]] },
  count: { ms: 500, frames: [[0, pose({ bs: 24, be: -128, bh: "count" })], [0.5, pose({ bs: 26, be: -136, bh: "count" })],
    [1, pose({ bs: 24, be: -128, bh: "count" })]] },
  open_palms: { ms: 1200, frames: [[0, pose({ as: 32, ae: -62, bs: 32, be: -62, ah: "palm", bh: "palm" })]] },
  think: { ms: 0, frames: [[0, pose({ bs: 22, be: -150, bh: "fist", tilt: 5, nod: -2 })]] },
  apologetic: { ms: 1500, frames: [[0, pose({ as: 24, ae: -38, bs: 24, be: -38, ah: "palm", bh: "palm", tilt: -6 })]] },
  thumbs_up: { ms: 1200, frames: [[0, pose({ bs: 26, be: -118, bh: "thumb", nod: 2 })]] },
  listen: { ms: 0, frames: [[0, pose({ tilt: 6, nod: 1 })]] },
};
const BLEND_S = 0.22; // time to move into and out of a gesture
const EMOTION_BROWS = { neutral: [0, 0], happy: [3, -4], concerned: [1, 14], attentive: [5, 2] }; // [lift, inner tilt]
const EMOTION_SMILE = { neutral: 0.15, happy: 1, concerned: -0.45, attentive: 0.3 };

function el(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}
const lerp = (a, b, t) => a + (b - a) * t;
const ease = (t) => t * t * (3 - 2 * t);
const r1 = (n) => Math.round(n * 10) / 10;

export class SvgAvatar {
  constructor() {
    this.mouth = { ...MOUTH.sil };
    this.mouthTarget = { ...MOUTH.sil };
    this.smile = EMOTION_SMILE.neutral;
    this.smileTarget = this.smile;
    this.brows = [0, 0];
    this.browsTarget = [0, 0];
    this.viseme = "sil";
    this.gesture = null; // {name, start, durationMs, beat, from}
    this.current = pose({});
    this.nextBlink = 1500;
    this.blinkStart = -1;
    this.gaze = [0, 0];
    this.gazeTarget = [0, 0];
    this.nextGlance = 2500;
    this.state = "idle";
    this.last = null;
    this.history = []; // gestures shown, in order (for tests and debugging)
  }

  mount(container) {
    const svg = el("svg", { viewBox: "0 0 400 560", role: "img", "aria-label": "The guide", class: "avatar-svg",
      preserveAspectRatio: "xMidYMax meet" });
    this.svg = svg;
    this.torso = el("g", { class: "torso" }, svg);
    // body: jacket and shirt collar
    el("path", { d: "M70 560 C70 450 110 392 200 385 C290 392 330 450 330 560 Z", fill: JACKET }, this.torso);
    el("path", { d: "M172 388 L200 450 L228 388 Z", fill: SHIRT }, this.torso);
    el("path", { d: "M190 404 L200 420 L210 404 L204 470 L200 478 L196 470 Z", fill: "#c0392b" }, this.torso);
    el("rect", { x: 182, y: 330, width: 36, height: 62, rx: 14, fill: SKIN_SHADE }, this.torso); // neck
    this.head = el("g", { class: "head" }, this.torso);
    el("ellipse", { cx: 128, cy: 238, rx: 14, ry: 22, fill: SKIN_SHADE }, this.head); // ears
    el("ellipse", { cx: 272, cy: 238, rx: 14, ry: 22, fill: SKIN_SHADE }, this.head);
    el("path", { d: "M130 220 C128 130 170 100 200 100 C230 100 272 130 270 220 C270 300 240 345 200 345 C160 345 130 300 130 220 Z",
      fill: SKIN }, this.head);
    el("path", { d: "M124 225 C116 120 170 78 206 82 C250 84 290 120 276 225 C270 180 262 150 240 138 C210 150 170 150 142 142 C132 160 128 190 124 225 Z",
      fill: HAIR }, this.head);
    this.face = el("g", { class: "face" }, this.head);
    this.browA = el("path", { d: "M150 190 Q168 180 186 188", stroke: HAIR, "stroke-width": 6, fill: "none",
      "stroke-linecap": "round", class: "brow" }, this.face);
    this.browB = el("path", { d: "M214 188 Q232 180 250 190", stroke: HAIR, "stroke-width": 6, fill: "none",
      "stroke-linecap": "round", class: "brow" }, this.face);
    this.eyes = [this._eye(168, 215), this._eye(232, 215)];
    el("path", { d: "M200 222 C196 248 192 258 200 262 C206 263 210 260 208 256", stroke: SKIN_SHADE,
      "stroke-width": 3, fill: "none", "stroke-linecap": "round" }, this.face);
    const clip = el("clipPath", { id: `mouth-clip-${Math.random().toString(36).slice(2)}` }, svg);
    this.clipPath = el("path", {}, clip);
    this.mouthGroup = el("g", { class: "mouth" }, this.face);
    this.lips = el("path", { fill: LIPS, class: "lips" }, this.mouthGroup);
    this.cavity = el("path", { fill: CAVITY, class: "cavity" }, this.mouthGroup);
    const inner = el("g", { "clip-path": `url(#${clip.id})` }, this.mouthGroup);
    this.teeth = el("rect", { x: 170, width: 60, height: 8, fill: "#fbfbf5" }, inner);
    this.tongue = el("ellipse", { cx: 200, rx: 14, ry: 7, fill: TONGUE }, inner);
    this.arms = { a: this._arm(150, 400, 1), b: this._arm(250, 400, -1) };
    container.appendChild(svg);
    this._drawMouth();
    this.restMouth = this.lips.getAttribute("d");
    this._applyPose(this.current);
    this._setData();
  }

  _eye(cx, cy) {
    const g = el("g", { class: "eye" }, this.face);
    el("ellipse", { cx, cy, rx: 15, ry: 10, fill: "#fff" }, g);
    const pupil = el("g", {}, g);
    el("circle", { cx, cy, r: 7, fill: IRIS }, pupil);
    el("circle", { cx, cy, r: 3.2, fill: "#111" }, pupil);
    el("circle", { cx: cx + 2.5, cy: cy - 2.5, r: 1.6, fill: "#fff" }, pupil);
    const lid = el("rect", { x: cx - 17, y: cy - 12, width: 34, height: 0, fill: SKIN, class: "lid" }, g);
    return { pupil, lid, cy };
  }

  _arm(x, y, side) {
    const g = el("g", { class: side > 0 ? "arm arm-a" : "arm arm-b" }, this.torso);
    el("line", { x1: x, y1: y, x2: x, y2: y + 78, stroke: JACKET, "stroke-width": 30, "stroke-linecap": "round" }, g);
    const fore = el("g", { class: "forearm" }, g);
    el("line", { x1: x, y1: y + 78, x2: x, y2: y + 146, stroke: JACKET, "stroke-width": 26, "stroke-linecap": "round" }, fore);
    el("line", { x1: x - 11, y1: y + 150, x2: x + 11, y2: y + 150, stroke: SHIRT, "stroke-width": 6 }, fore);
    const hand = el("g", { class: "hand" }, fore);
    const hx = x, hy = y + 154, s = side;
    const shapes = {};
    const mk = (name) => (shapes[name] = el("g", { "data-shape": name, display: "none" }, hand));
    const palm = (g) => el("rect", { x: hx - 12, y: hy, width: 24, height: 24, rx: 9, fill: SKIN }, g);
    const finger = (g, dx, len, w = 6) => el("line", { x1: hx + dx, y1: hy + 18, x2: hx + dx, y2: hy + 18 + len,
      stroke: SKIN, "stroke-width": w, "stroke-linecap": "round" }, g);
    const thumb = (g, len = 12) => el("line", { x1: hx - 9 * s, y1: hy + 8, x2: hx - (9 + len) * s, y2: hy + 4,
      stroke: SKIN, "stroke-width": 7, "stroke-linecap": "round" }, g);
    for (const name of ["open", "palm"]) {
      const g = mk(name);
      palm(g);
      [-8, -3, 2, 7].forEach((dx, i) => finger(g, dx * 1.05, name === "palm" ? 16 : 13 - (i === 3 ? 3 : 0), 5.5));
      thumb(g, name === "palm" ? 12 : 6);
    }
    { const g = mk("point"); palm(g); finger(g, -6 * s, 26, 6); thumb(g, 4); }
    { const g = mk("fist"); palm(g); thumb(g, 3); }
    { const g = mk("thumb"); palm(g); el("line", { x1: hx - 9 * s, y1: hy + 10, x2: hx - 24 * s, y2: hy + 10,
      stroke: SKIN, "stroke-width": 8, "stroke-linecap": "round" }, g); }
    { const g = mk("count"); palm(g); this._countFingers = [-8, -3, 2, 7].map((dx) => finger(g, dx, 15, 5.5));
      this._countThumb = thumb(g, 12); }
    return { g, fore, hand, shapes, x, y, side, shown: null };
  }

  _applyPose(p) {
    for (const key of ["a", "b"]) {
      const arm = this.arms[key];
      const m = arm.side; // mirror the other arm
      arm.g.setAttribute("transform", `rotate(${r1(p[`${key}s`] * m)} ${arm.x} ${arm.y})`);
      arm.fore.setAttribute("transform", `rotate(${r1(p[`${key}e`] * m)} ${arm.x} ${arm.y + 78})`);
      arm.hand.setAttribute("transform", `rotate(${r1(p[`${key}w`] * m)} ${arm.x} ${arm.y + 150})`);
      const shape = p[`${key}h`];
      if (arm.shown !== shape) {
        for (const [name, g] of Object.entries(arm.shapes)) g.setAttribute("display", name === shape ? "inline" : "none");
        arm.shown = shape;
      }
    }
    this.head.setAttribute("transform",
      `translate(${r1(p.turn * 0.6)} ${r1(p.nod)}) rotate(${r1(p.tilt)} 200 330)`);
    this.face.setAttribute("transform", `translate(${r1(p.turn)} ${r1(p.nod * 0.6)})`);
  }

  setViseme(name) {
    const target = MOUTH[name] || MOUTH.sil;
    this.viseme = MOUTH[name] ? name : "sil";
    this.mouthTarget = { ...target };
  }

  setEmotion(name, intensity = 0.5) {
    const k = Math.max(0, Math.min(1, intensity));
    const [lift, tilt] = EMOTION_BROWS[name] || EMOTION_BROWS.neutral;
    this.browsTarget = [lift * (0.5 + k), tilt * (0.5 + k)];
    this.smileTarget = (EMOTION_SMILE[name] ?? 0.15) * (0.5 + k * 0.8);
    this.emotion = name;
    this._setData();
  }

  setState(state) {
    this.state = state;
    if (state === "listening") this.gazeTarget = [0, 0];
    if (state === "thinking") this.gazeTarget = [-4, -4];
    this._setData();
  }

  playGesture(name, { durationMs = 0, beat = null } = {}) {
    const spec = GESTURE_KEYS[name];
    if (!spec) return;
    const now = this.last ?? performance.now();
    const ms = durationMs || spec.ms; // 0 = hold until the next gesture
    this.gesture = { name, start: now, durationMs: ms, hold: !durationMs && !spec.ms, from: { ...this.current } };
    if (name === "count" && this._countFingers) {
      const n = Math.max(1, Math.min(5, beat || 1));
      this._countFingers.forEach((f, i) => f.setAttribute("display", i < Math.min(n, 4) ? "inline" : "none"));
      this._countThumb.setAttribute("display", n >= 5 ? "inline" : "none");
    }
    if (name.startsWith("point_")) this.gazeTarget = [name === "point_left" ? -5 : name === "point_right" ? 5 : 0, 1];
    this.history.push(name);
    if (this.history.length > 50) this.history.shift();
    this._setData();
  }

  _gesturePose(now) {
    const g = this.gesture;
    if (!g || g.name === "idle") return pose({});
    const spec = GESTURE_KEYS[g.name];
    const elapsed = (now - g.start) / 1000;
    const total = g.durationMs / 1000;
    if (!g.hold && elapsed > total) {
      this.gesture = null;
      this._setData();
      return pose({});
    }
    const cycle = spec.ms ? (elapsed % (spec.ms / 1000)) / (spec.ms / 1000) : 0;
    const frames = spec.frames;
    let p = frames[0][1];
    for (let i = 0; i < frames.length - 1; i++) {
      const [t0, p0] = frames[i], [t1, p1] = frames[i + 1];
      if (cycle >= t0 && cycle <= t1) { p = mix(p0, p1, ease((cycle - t0) / (t1 - t0 || 1))); break; }
    }
    // blend in from where the body was, and out to rest at the end
    const into = Math.min(1, elapsed / BLEND_S);
    let out = 1;
    if (!g.hold) out = Math.min(1, Math.max(0, (total - elapsed) / BLEND_S));
    const w = ease(Math.min(into, out));
    const base = out < 1 ? pose({}) : g.from;
    return mix(base, p, w);
  }

  update(now) {
    const dt = this.last == null ? 0.016 : Math.min(0.1, (now - this.last) / 1000);
    this.last = now;
    // mouth: exponential approach, snapped exactly onto the target when close (rest is exactly rest)
    const k = 1 - Math.exp(-dt / MOUTH_TAU_S);
    let moving = false;
    for (const key of MOUTH_KEYS) {
      const d = this.mouthTarget[key] - this.mouth[key];
      if (Math.abs(d) < 0.004) this.mouth[key] = this.mouthTarget[key];
      else { this.mouth[key] += d * k; moving = true; }
    }
    const ks = 1 - Math.exp(-dt / 0.25);
    this.smile += (this.smileTarget - this.smile) * ks;
    if (Math.abs(this.smileTarget - this.smile) < 0.004) this.smile = this.smileTarget;
    this.brows = this.brows.map((b, i) => b + (this.browsTarget[i] - b) * ks);
    if (moving || this._smileDrawn !== this.smile) this._drawMouth();
    this._drawBrows();
    this._blinkAndGaze(now, dt);
    this.current = this._gesturePose(now);
    const breathe = Math.sin((now / 1000) * Math.PI * 2 / 4.2);
    this._applyPose(this.current);
    this.torso.setAttribute("transform", `translate(0 ${r1(breathe * 1.6)}) scale(1 ${(1 + breathe * 0.004).toFixed(4)})`);
    this._setData();
  }

  _drawMouth() {
    const m = this.mouth, cx = 200, cy = 292;
    const w = 24 * (0.62 + 0.55 * m.wide) * (1 - 0.3 * m.round);
    const h = 26 * m.open;
    const corner = -this.smile * 4 + m.round * 1.5;
    const press = m.press * 1.5;
    const upper = 5 + m.round * 3 - press;
    const lower = 6 + m.round * 3 - press;
    const round = 0.55 + 0.4 * m.round;
    const L = [cx - w, cy + corner], R = [cx + w, cy + corner];
    const lips = `M${r1(L[0])} ${r1(L[1])} C${r1(cx - w * round)} ${r1(cy - h * 0.35 - upper)} ${r1(cx + w * round)} ${r1(cy - h * 0.35 - upper)} ${r1(R[0])} ${r1(R[1])} ` +
      `C${r1(cx + w * round)} ${r1(cy + h + lower)} ${r1(cx - w * round)} ${r1(cy + h + lower)} ${r1(L[0])} ${r1(L[1])} Z`;
    this.lips.setAttribute("d", lips);
    const iw = w * 0.8, ih = Math.max(0, h - 1);
    const cav = ih < 0.6
      ? `M${r1(cx - iw)} ${r1(cy + corner * 0.8)} Q${cx} ${r1(cy + 1.2)} ${r1(cx + iw)} ${r1(cy + corner * 0.8)} Q${cx} ${r1(cy + 2)} ${r1(cx - iw)} ${r1(cy + corner * 0.8)} Z`
      : `M${r1(cx - iw)} ${r1(cy + corner * 0.8)} C${r1(cx - iw * round)} ${r1(cy - ih * 0.3)} ${r1(cx + iw * round)} ${r1(cy - ih * 0.3)} ${r1(cx + iw)} ${r1(cy + corner * 0.8)} ` +
        `C${r1(cx + iw * round)} ${r1(cy + ih * 1.05)} ${r1(cx - iw * round)} ${r1(cy + ih * 1.05)} ${r1(cx - iw)} ${r1(cy + corner * 0.8)} Z`;
    this.cavity.setAttribute("d", cav);
    this.clipPath.setAttribute("d", cav);
    this.teeth.setAttribute("y", r1(cy - ih * 0.3 - 1));
    this.teeth.setAttribute("height", r1(3 + 5 * m.teeth));
    this.tongue.setAttribute("cy", r1(cy + ih * 0.95 - 2 - m.tongue * ih * 0.35));
    this._smileDrawn = this.smile;
  }

  _drawBrows() {
    const [lift, tilt] = this.brows;
    this.browA.setAttribute("transform", `translate(0 ${r1(-lift)}) rotate(${r1(tilt)} 186 188)`);
    this.browB.setAttribute("transform", `translate(0 ${r1(-lift)}) rotate(${r1(-tilt)} 214 188)`);
  }

  _blinkAndGaze(now) {
    if (this.blinkStart < 0 && now > this.nextBlink) this.blinkStart = now;
    let closed = 0;
    if (this.blinkStart >= 0) {
      const t = (now - this.blinkStart) / 150;
      closed = t < 0.5 ? t * 2 : Math.max(0, 2 - t * 2);
      if (t >= 1) {
        this.blinkStart = -1;
        closed = 0;
        this.nextBlink = now + 2200 + Math.random() * 3800;
      }
    }
    if (now > this.nextGlance && this.state !== "listening" && !this.gesture) {
      const look = Math.random() < 0.5;
      this.gazeTarget = look ? [(Math.random() - 0.5) * 9, (Math.random() - 0.5) * 4] : [0, 0];
      this.nextGlance = now + 1800 + Math.random() * 3500;
    }
    this.gaze = this.gaze.map((g, i) => g + (this.gazeTarget[i] - g) * 0.2);
    for (const eye of this.eyes) {
      eye.lid.setAttribute("height", r1(24 * closed));
      eye.pupil.setAttribute("transform", `translate(${r1(this.gaze[0])} ${r1(this.gaze[1])})`);
    }
  }

  _setData() {
    if (!this.svg) return;
    const d = this.svg.dataset;
    d.viseme = this.viseme;
    d.gesture = this.gesture ? this.gesture.name : "idle";
    d.emotion = this.emotion || "neutral";
    d.state = this.state;
    d.mouthOpen = this.mouth.open.toFixed(2);
  }

  destroy() {
    this.svg?.remove();
  }
}

function mix(a, b, t) {
  const out = {};
  for (const key of Object.keys(a)) {
    out[key] = typeof a[key] === "number" ? lerp(a[key], b[key], t) : (t < 0.5 ? a[key] : b[key]);
  }
  return out;
}
