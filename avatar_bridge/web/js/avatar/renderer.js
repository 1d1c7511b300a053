// The avatar renderer interface: the kiosk drives any avatar through these few calls, so another avatar
// (for example a 3D one) can be plugged in later by implementing the same methods.
//
//   mount(container: HTMLElement): void     draw the avatar inside container (it sizes to fit)
//   setViseme(name: string): void           target mouth shape, one of VISEMES; transitions are smooth
//   playGesture(name, {durationMs, target, beat}): void   one of GESTURES; durationMs 0 = hold until the next
//   setEmotion(name, intensity): void       neutral | happy | concerned | attentive, intensity 0..1
//   setState(state): void                   idle | listening | thinking | speaking (eyes, posture)
//   update(nowMs: number): void             advance animation; the host calls it on every animation frame
//   release({keepHeld}): void               ease back to rest now (speech ended); keepHeld spares think/listen
//   showSign({floor, change, label, hint}) / hideSign(): a floor sign (arrow up/down, "Floor 2", "take the lift")
//   destroy(): void
//
// Every pose, at rest and at the peak of each gesture, keeps both hands inside the frame (the element the
// avatar is mounted in); tests/web/test_gestures.py measures the hands' boxes in Chromium.
//
// Renderers expose what they show on their root element for tests and assistive tooling:
// data-viseme, data-gesture, data-emotion, data-state, data-mouth-open (0..1), data-floor-sign; hands are
// `.hand[data-arm=a|b]` (a = screen left) with data-hand (its shape).

export const VISEMES = ["sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "I", "O", "U"];
export const GESTURES = ["wave", "nod", "shake", "point_left", "point_right", "point_forward", "count",
  "open_palms", "think", "apologetic", "thumbs_up", "listen", "idle"];

export async function createAvatar(kind = "svg") {
  if (kind === "svg") {
    const { SvgAvatar } = await import("./svg-avatar.js");
    return new SvgAvatar();
  }
  throw new Error(`unknown avatar renderer ${kind}`);
}
