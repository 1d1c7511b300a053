// The project's own 2D guide, drawn as SVG: head, blinking and glancing eyes, eyebrows for emotion,
// a mouth shape for each of the 15 Oculus visemes (smoothly interpolated), two jointed arms with
// hands for the gesture vocabulary, idle breathing and sway, and a floor sign for directions that
// change floors. Implements the interface in renderer.js.
//
// Framing: the view box holds the upper body with both arms and hands, at rest and at the peak of
// every gesture (tests/web/test_gestures.py measures it), so nothing is cut at the frame's edge.
// Hands are drawn large and outlined: a citizen reads them from 2 m.

const NS = "http://www.w3.org/2000/svg";
const SKIN = "#f1c9a5", SKIN_SHADE = "#c98e66", HAIR = "#3b2a20", JACKET = "#1f4e79", SHIRT = "#ffffff";
const SLEEVE = "#245a8c", SLEEVE_EDGE = "#0d2640";
const LIPS = "#b45a5a", CAVITY = "#4a1a20", TONGUE = "#d9767a", IRIS = "#4a3426";

// The frame: x -120..520, y 40..700 (the head is centred on x = 200).
export const VIEW_BOX = [-120, 40, 640, 660];
// Shoulder joints (a = the avatar's right arm, on the citizen's left, screen left; b = screen right).
export const SHOULDERS = { a: [120, 450], b: [280, 450] };
const UPPER = 86, FORE = 80; // arm segment lengths at full extension (no foreshortening)
const SIGN_RIGHT = 98; // the floor sign's right edge: clear of the ear (x 114) even when the body sways

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

// Arm poses, per arm (prefix a or b; b is drawn mirrored, so both use the same numbers):
//   s shoulder angle (degrees from hanging straight down, positive = outward/up), u upper-arm length factor
//   (< 1 = pointing toward the viewer, foreshortened), e elbow angle (relative; positive bends outward/up),
//   f forearm length factor, w wrist angle, h hand shape, k hand scale (> 1 = nearer the viewer, or emphasis).
// Head: nod (down, px), turn (sideways, px), tilt (degrees); sh = shoulder shrug (px up).
const REST = {
  as: 8, au: 1, ae: -12, af: 1, aw: 0, ah: "open", ak: 1,
  bs: 8, bu: 1, be: -12, bf: 1, bw: 0, bh: "open", bk: 1,
  nod: 0, turn: 0, tilt: 0, sh: 0,
};
const pose = (p) => ({ ...REST, ...p });
// Each gesture: its natural length (ms; 0 = held until the next cue) and key frames over one cycle.
// Gestures longer than their cycle repeat it (a longer wave waves more).
const GESTURE_KEYS = {
  idle: { ms: 600, frames: [[0, pose({})]] },
  wave: { ms: 1500, frames: [[0, pose({ bs: 140, be: 30, bh: "palm", bk: 1.2 })],
    [0.25, pose({ bs: 140, be: 62, bh: "palm", bk: 1.2 })], [0.5, pose({ bs: 140, be: 26, bh: "palm", bk: 1.2 })],
    [0.75, pose({ bs: 140, be: 62, bh: "palm", bk: 1.2 })], [1, pose({ bs: 140, be: 30, bh: "palm", bk: 1.2 })]] },
  nod: { ms: 800, frames: [[0, pose({ nod: 0 })], [0.3, pose({ nod: 12 })], [0.55, pose({ nod: -2 })],
    [0.8, pose({ nod: 9 })], [1, pose({ nod: 0 })]] },
  shake: { ms: 800, frames: [[0, pose({})], [0.2, pose({ turn: -12 })], [0.45, pose({ turn: 12 })],
    [0.7, pose({ turn: -10 })], [1, pose({ turn: 0 })]] },
  point_left: { ms: 1600, frames: [[0, pose({ as: 82, ae: 4, ah: "point", ak: 1.1, turn: -7 })]] },
  point_right: { ms: 1600, frames: [[0, pose({ bs: 82, be: 4, bh: "point", bk: 1.1, turn: 7 })]] },
  point_forward: { ms: 1600, frames: [[0, pose({ bs: -22, bu: 0.7, be: -150, bf: 0.3, bh: "point_at", bk: 1.8,
    nod: 3 })]] },
  count: { ms: 500, frames: [[0, pose({ bs: 55, be: 125, bh: "count", bk: 1.45 })],
    [0.35, pose({ bs: 57, be: 131, bh: "count", bk: 1.5 })], [1, pose({ bs: 55, be: 125, bh: "count", bk: 1.45 })]] },
  open_palms: { ms: 1200, frames: [[0, pose({ as: 35, ae: 85, aw: 60, ah: "palm", ak: 1.2,
    bs: 35, be: 85, bw: 60, bh: "palm", bk: 1.2 })]] },
  think: { ms: 0, frames: [[0, pose({ bs: -38, bu: 0.53, be: -123, bf: 0.98, bh: "fist", bk: 1.1, tilt: 5, nod: -2 })]] },
  apologetic: { ms: 1500, frames: [[0, pose({ as: 10, ae: 75, aw: -10, ah: "palm_up", ak: 1.2,
    bs: 10, be: 75, bw: -10, bh: "palm_up", bk: 1.2, tilt: -8, sh: 12 })]] },
  thumbs_up: { ms: 1200, frames: [[0, pose({ bs: 45, be: 135, bh: "thumb", bk: 1.5, nod: 3 })]] },
  listen: { ms: 0, frames: [[0, pose({ as: 139, au: 0.96, ae: 73, af: 0.95, aw: 10, ah: "palm", ak: 1.05, tilt: 8,
    nod: 1 })]] },
};
const BLEND_S = 0.25; // time to move into and out of a gesture (eased)
const COUNT_LINGER_MS = 1400; // the counting hand stays up between items instead of dropping after each beat
const EMOTION_BROWS = { neutral: [0, 0], happy: [3, -4], concerned: [1, 14], attentive: [5, 2] }; // [lift, inner tilt]
const EMOTION_SMILE = { neutral: 0.15, happy: 1, concerned: -0.45, attentive: 0.3 };

function el(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}
/** Set an attribute only when its value changes: most of the body is still on most frames. */
function set(node, name, value) {
  const cache = node._attrs || (node._attrs = {});
  const text = String(value);
  if (cache[name] === text) return;
  cache[name] = text;
  node.setAttribute(name, text);
}
const lerp = (a, b, t) => a + (b - a) * t;
const ease = (t) => t * t * (3 - 2 * t);
const r1 = (n) => Math.round(n * 10) / 10;

// Hand shapes in the hand's own frame: the wrist at (0, 0), the fingers toward +y, the thumb on the -x side
// (the b arm is mirrored, so the thumb is always on the correct side). Primitives: ["rect", x, y, w, h] and
// ["line", x1, y1, x2, y2, width]; each is drawn with an outline so the hand stands out against the jacket.
const FINGER_X = [-11, -3.7, 3.7, 11]; // index, middle, ring, little
const PALM = ["rect", -16, 0, 32, 32];
const FIST = ["rect", -16, 0, 32, 30];
const KNUCKLES = FINGER_X.map((x) => ["line", x, 24, x, 33, 7.5]);
const HAND_SHAPES = {
  open: [PALM, ...FINGER_X.map((x, i) => ["line", x, 26, x * 1.05, 40 - (i === 3 ? 3 : 0), 7.5]),
    ["line", -14, 10, -20, 25, 8]],
  palm: [PALM, ...FINGER_X.map((x, i) => ["line", x, 26, x * 1.6, 50 - (i === 3 ? 5 : 0) - (i === 0 ? 2 : 0), 7.5]),
    ["line", -14, 12, -31, 24, 8.5]],
  palm_up: [["rect", -16, 0, 32, 26], ...FINGER_X.map((x) => ["line", x * 0.9, 20, x * 0.9, 44, 7.5]),
    ["line", -14, 8, -26, 18, 8.5]],
  point: [FIST, ...KNUCKLES.slice(1), ["line", -11, 24, -11, 62, 8], ["line", -13, 12, -2, 22, 8]],
  point_at: [["rect", -17, 0, 34, 34], ["line", -14, 12, -2, 24, 9], ["circle", 2, 22, 12], ["nail", 2, 22, 6]],
  fist: [FIST, ...KNUCKLES, ["line", -14, 10, -2, 20, 8.5]],
  thumb: [FIST, ...FINGER_X.map((x) => ["line", 16, x + 14, 22, x + 14, 8]), ["line", -15, 14, -15, 54, 11]],
  count: [PALM], // fingers added per beat (playGesture("count", {beat}))
};
const COUNT_FINGERS = [
  ["line", -11, 26, -13, 60, 8], ["line", -3.7, 26, -4, 64, 8], ["line", 3.7, 26, 4.5, 61, 8],
  ["line", 11, 26, 14, 54, 7.5], ["line", -14, 12, -34, 26, 9], // index, middle, ring, little, thumb
];
const COUNT_FOLDED = [["line", -11, 26, -11, 31, 8], ["line", -3.7, 26, -3.7, 31, 8], ["line", 3.7, 26, 3.7, 31, 8],
  ["line", 11, 26, 11, 30, 7.5], ["line", -13, 12, -4, 20, 8.5]];

function drawPrimitive(parent, prim, color, grow) {
  const [kind, ...v] = prim;
  if (kind === "rect") {
    return el("rect", { x: v[0] - grow, y: v[1] - grow, width: v[2] + 2 * grow, height: v[3] + 2 * grow, rx: 11 + grow,
      fill: color }, parent);
  }
  if (kind === "circle") return el("circle", { cx: v[0], cy: v[1], r: v[2] + grow, fill: color }, parent);
  if (kind === "nail") return grow ? null : el("circle", { cx: v[0], cy: v[1], r: v[2], fill: "#f8e1cf", stroke: SKIN_SHADE,
    "stroke-width": 1.5 }, parent); // a fingertip seen end-on: the index points at the viewer
  return el("line", { x1: v[0], y1: v[1], x2: v[2], y2: v[3], stroke: color, "stroke-width": v[4] + 2 * grow,
    "stroke-linecap": "round" }, parent);
}

/** Outlined shape: all outlines first, then all fills, so joined fingers read as one hand. */
function drawShape(parent, prims) {
  const outline = el("g", { class: "outline" }, parent);
  const fill = el("g", { class: "fill" }, parent);
  return prims.map((p) => [drawPrimitive(outline, p, SKIN_SHADE, 1.6), drawPrimitive(fill, p, SKIN, 0)]);
}

export class SvgAvatar {
  constructor() {
    this.mouth = { ...MOUTH.sil };
    this.mouthTarget = { ...MOUTH.sil };
    this.smile = EMOTION_SMILE.neutral;
    this.smileTarget = this.smile;
    this.brows = [0, 0];
    this.browsTarget = [0, 0];
    this.viseme = "sil";
    this.gesture = null; // {name, start, durationMs, hold, from}
    this.current = pose({});
    this.nextBlink = 1500;
    this.blinkStart = -1;
    this.gaze = [0, 0];
    this.gazeTarget = [0, 0];
    this.nextGlance = 2500;
    this.state = "idle";
    this.last = null;
    this.beat = 0;
    this.history = []; // gestures shown, in order (for tests and debugging)
  }

  mount(container) {
    const svg = el("svg", { viewBox: VIEW_BOX.join(" "), role: "img", "aria-label": "The guide", class: "avatar-svg",
      preserveAspectRatio: "xMidYMid meet" });
    this.svg = svg;
    this.body = el("g", { class: "body" }, svg); // idle sway
    this.torso = el("g", { class: "torso" }, this.body); // breathing
    // body: jacket with lapels, shirt collar and tie; it continues below the frame (a bust, cut by the frame)
    el("path", { d: "M48 720 L54 540 C56 462 98 420 200 410 C302 420 344 462 346 540 L352 720 Z", fill: JACKET,
      class: "jacket" }, this.torso);
    el("path", { d: "M170 408 L200 470 L230 408 L250 420 L214 540 L200 560 L186 540 L150 420 Z", fill: "#173d60" },
      this.torso);
    el("path", { d: "M172 402 L200 466 L228 402 Z", fill: SHIRT }, this.torso);
    el("path", { d: "M190 418 L200 434 L210 418 L205 506 L200 516 L195 506 Z", fill: "#c0392b" }, this.torso);
    el("rect", { x: 182, y: 330, width: 36, height: 80, rx: 14, fill: SKIN_SHADE }, this.torso); // neck
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
    this.arms = { a: this._arm("a"), b: this._arm("b") };
    this.sign = this._sign();
    container.appendChild(svg);
    this._drawMouth();
    this.restMouth = this.lips.getAttribute("d");
    this._applyPose(this.current, 0);
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

  _arm(key) {
    const [x, y] = SHOULDERS[key];
    const g = el("g", { class: `arm arm-${key}` }, this.torso);
    const upperEdge = el("line", { x1: 0, y1: 0, x2: 0, y2: UPPER, stroke: SLEEVE_EDGE, "stroke-width": 42,
      "stroke-linecap": "round" }, g);
    const upper = el("line", { x1: 0, y1: 0, x2: 0, y2: UPPER, stroke: SLEEVE, "stroke-width": 36,
      "stroke-linecap": "round" }, g);
    const fore = el("g", { class: "forearm" }, g);
    const foreEdge = el("line", { x1: 0, y1: 0, x2: 0, y2: FORE, stroke: SLEEVE_EDGE, "stroke-width": 38,
      "stroke-linecap": "round" }, fore);
    const foreLine = el("line", { x1: 0, y1: 0, x2: 0, y2: FORE, stroke: SLEEVE, "stroke-width": 32,
      "stroke-linecap": "round" }, fore);
    const cuff = el("line", { x1: -15, y1: FORE - 3, x2: 15, y2: FORE - 3, stroke: SHIRT, "stroke-width": 7 }, fore);
    const hand = el("g", { class: "hand", "data-arm": key }, fore);
    const shapes = {};
    for (const [name, prims] of Object.entries(HAND_SHAPES)) {
      shapes[name] = el("g", { "data-shape": name, display: "none" }, hand);
      drawShape(shapes[name], prims);
    }
    const fingers = COUNT_FINGERS.map((up, i) => {
      const group = el("g", { class: "count-finger", "data-finger": i }, shapes.count);
      const raised = el("g", { class: "raised" }, group);
      const folded = el("g", { class: "folded" }, group);
      drawShape(raised, [up]);
      drawShape(folded, [COUNT_FOLDED[i]]);
      return { raised, folded };
    });
    return { key, x, y, g, upper: [upperEdge, upper], fore, foreLines: [foreEdge, foreLine], cuff, hand, shapes,
      fingers, shown: null };
  }

  _sign() {
    // Directions to another floor: a sign at the top of the frame, beside the head ("↑ Floor 2 · take the lift").
    const g = el("g", { class: "floor-sign", display: "none", "aria-hidden": "true" }, this.svg);
    el("rect", { x: -110, y: 54, width: SIGN_RIGHT + 110, height: 120, rx: 16, fill: "#0b5394", stroke: "#ffffff",
      "stroke-width": 4, class: "floor-panel" }, g);
    const arrow = el("path", { fill: "#ffe066", class: "floor-arrow" }, g);
    const floor = el("text", { x: -40, y: 108, fill: "#ffffff", "font-size": 36, "font-weight": 700,
      "font-family": "system-ui, sans-serif", class: "floor-text" }, g);
    const hint = el("text", { x: -40, y: 148, fill: "#ffffff", "font-size": 20,
      "font-family": "system-ui, sans-serif", class: "floor-hint" }, g);
    return { g, arrow, floor, hint };
  }

  /** Show a floor sign: change > 0 = up, < 0 = down; label e.g. "Floor 2", hint e.g. "take the lift". */
  showSign({ floor, change, label, hint }) {
    if (!this.sign || !change) return this.hideSign();
    const up = change > 0;
    this.sign.arrow.setAttribute("d", up
      ? "M-74 70 L-50 100 L-62 100 L-62 158 L-86 158 L-86 100 L-98 100 Z"
      : "M-74 158 L-50 128 L-62 128 L-62 70 L-86 70 L-86 128 L-98 128 Z");
    this.sign.floor.textContent = label || `Floor ${floor}`;
    this.sign.hint.textContent = hint || "";
    this.sign.g.setAttribute("display", "inline");
    for (const [text, size] of [[this.sign.floor, 36], [this.sign.hint, 20]]) { // shrink a long text to fit the sign
      text.setAttribute("font-size", size);
      const room = SIGN_RIGHT - 12 - Number(text.getAttribute("x"));
      const length = text.getComputedTextLength();
      if (length > room) text.setAttribute("font-size", Math.floor((size * room) / length));
    }
    this.svg.dataset.floorSign = `${up ? "up" : "down"} ${floor}`;
  }

  hideSign() {
    if (!this.sign) return;
    this.sign.g.setAttribute("display", "none");
    delete this.svg.dataset.floorSign;
  }

  _applyPose(p, sway) {
    for (const key of ["a", "b"]) {
      const arm = this.arms[key];
      const mirror = key === "b" ? " scale(-1 1)" : "";
      const upperLen = UPPER * p[`${key}u`], foreLen = FORE * p[`${key}f`];
      const swing = sway * (key === "a" ? 1 : -1);
      set(arm.g, "transform",
        `translate(${arm.x} ${r1(arm.y - p.sh)})${mirror} rotate(${r1(p[`${key}s`] + swing)})`);
      for (const line of arm.upper) set(line, "y2", r1(upperLen));
      set(arm.fore, "transform", `translate(0 ${r1(upperLen)}) rotate(${r1(p[`${key}e`])})`);
      for (const line of arm.foreLines) set(line, "y2", r1(foreLen));
      set(arm.cuff, "y1", r1(foreLen - 3));
      set(arm.cuff, "y2", r1(foreLen - 3));
      set(arm.hand, "transform", `translate(0 ${r1(foreLen)}) rotate(${r1(p[`${key}w`])}) scale(${p[`${key}k`].toFixed(3)})`);
      const shape = p[`${key}h`];
      if (arm.shown !== shape) {
        for (const [name, g] of Object.entries(arm.shapes)) g.setAttribute("display", name === shape ? "inline" : "none");
        arm.shown = shape;
        arm.hand.dataset.hand = shape; // the shape showing (its groups carry data-shape)
      }
    }
    set(this.head, "transform",
      `translate(${r1(p.turn * 0.6)} ${r1(p.nod - p.sh * 0.3)}) rotate(${r1(p.tilt)} 200 330)`);
    set(this.face, "transform", `translate(${r1(p.turn)} ${r1(p.nod * 0.5)})`);
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

  /** Ease out of the gesture showing to the resting pose; keepHeld leaves a held one (think, listen) alone. */
  release({ keepHeld = false } = {}) {
    const g = this.gesture;
    if (!g || (keepHeld && g.hold)) return;
    const now = this.last ?? performance.now();
    const elapsed = now - g.start;
    g.hold = false;
    g.durationMs = Math.min(g.durationMs || Infinity, elapsed + BLEND_S * 1000);
  }

  playGesture(name, { durationMs = 0, beat = null } = {}) {
    const spec = GESTURE_KEYS[name];
    if (!spec) return;
    const now = this.last ?? performance.now();
    let ms = durationMs || spec.ms; // 0 = hold until the next gesture
    if (name === "count") ms += COUNT_LINGER_MS;
    const hold = !durationMs && !spec.ms;
    const from = { ...this.current };
    this.gesture = { name, start: now, durationMs: ms, hold, from };
    if (name === "count") this._showCount(beat || 1);
    if (name.startsWith("point_")) this.gazeTarget = [name === "point_left" ? -5 : name === "point_right" ? 5 : 0, 1];
    this.history.push(name);
    if (this.history.length > 50) this.history.shift();
    this._setData();
  }

  _showCount(n) {
    const count = Math.max(1, Math.min(5, n));
    this.beat = count;
    for (const arm of Object.values(this.arms)) {
      arm.fingers.forEach((f, i) => {
        f.raised.setAttribute("display", i < count ? "inline" : "none");
        f.folded.setAttribute("display", i < count ? "none" : "inline");
      });
    }
  }

  _gesturePose(now) {
    const g = this.gesture;
    if (!g || g.name === "idle") {
      if (g && (now - g.start) / 1000 > BLEND_S) this.gesture = null;
      return g ? mix(g.from, pose({}), ease(Math.min(1, (now - g.start) / 1000 / BLEND_S))) : pose({});
    }
    const spec = GESTURE_KEYS[g.name];
    const elapsed = (now - g.start) / 1000;
    const total = g.durationMs / 1000;
    if (!g.hold && elapsed >= total) {
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
    // ease in from wherever the body was, and out to rest at the end
    const into = ease(Math.min(1, elapsed / BLEND_S));
    let out = 1;
    if (!g.hold) out = ease(Math.min(1, Math.max(0, (total - elapsed) / BLEND_S)));
    if (into < 1 && into <= out) return mix(g.from, p, into);
    return mix(pose({}), p, Math.min(into, out));
  }

  update(now) {
    const dt = this.last == null ? 0.016 : Math.min(0.1, Math.max(0, (now - this.last) / 1000));
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
    const s = now / 1000;
    const breathe = Math.sin((s * Math.PI * 2) / 4.2);
    const sway = Math.sin((s * Math.PI * 2) / 7.3) * 0.7 + Math.sin((s * Math.PI * 2) / 3.1) * 0.2; // degrees
    this._applyPose(this.current, breathe * 0.8);
    set(this.torso, "transform", `translate(0 ${r1(breathe * 1.6)}) scale(1 ${(1 + breathe * 0.004).toFixed(4)})`);
    set(this.body, "transform", `rotate(${sway.toFixed(2)} 200 720)`);
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
    set(this.browA, "transform", `translate(0 ${r1(-lift)}) rotate(${r1(tilt)} 186 188)`);
    set(this.browB, "transform", `translate(0 ${r1(-lift)}) rotate(${r1(-tilt)} 214 188)`);
  }

  _blinkAndGaze(now) {
    if (this.blinkStart < 0 && now > this.nextBlink) this.blinkStart = now;
    let closed = 0;
    if (this.blinkStart >= 0) {
      const t = (now - this.blinkStart) / 150;
      closed = t < 0.5 ? t * 2 : Math.max(0, 2 - t * 2);
      if (t >= 1 || t < 0) {
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
      set(eye.lid, "height", r1(24 * closed));
      set(eye.pupil, "transform", `translate(${r1(this.gaze[0])} ${r1(this.gaze[1])})`);
    }
  }

  _setData() {
    if (!this.svg) return;
    const svg = this.svg;
    set(svg, "data-viseme", this.viseme);
    set(svg, "data-gesture", this.gesture ? this.gesture.name : "idle");
    set(svg, "data-emotion", this.emotion || "neutral");
    set(svg, "data-state", this.state);
    set(svg, "data-mouth-open", this.mouth.open.toFixed(2));
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
