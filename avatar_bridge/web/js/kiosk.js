// The kiosk page: touch to start (browsers need a gesture before audio), then the guide talks over
// protocol v1 with lip-sync, gestures, captions, cards, quick replies, push-to-talk or hands-free
// microphone, typed questions, barge-in, settings, inactivity reset and reconnection.
//
// Two modes (docs/web.md): at a kiosk (`/kiosk?kiosk=entrance`: a place in the hall, directions from it, QR
// codes, a USB QR scanner for check-in) and at home (`/lobby`, or `/kiosk` without `?kiosk=`: no position, so
// the bridge and the dialogue core treat it as the web; links instead of QR codes; the microphone is asked for
// only after the page has said why, and typing is offered first when it is refused).

import { createAvatar } from "./avatar/renderer.js";
import { BridgeClient, bridgeUrl } from "./bridge-client.js";
import { captionPieces } from "./captions.js";
import { floorChange, h, renderButtons, renderCard } from "./cards.js";
import { htmlLang, languageOf, strings, translatePage } from "./i18n.js";
import { Microphone } from "./mic.js";
import { loadSettings, saveSettings } from "./settings.js";
import { SpeechPlayer } from "./speech-player.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const lobby = /\/lobby\/?$/.test(location.pathname) || !params.get("kiosk");
const kioskId = lobby ? "lobby" : params.get("kiosk"); // "lobby" is no kiosk of hall.yml: the web
// What a confirmation's QR code holds (actions/forms.py: `{website}/checkin/K7M-4PA`), or a typed reference.
const REF = "[AFHKMPRWXY34679]{3}";
const CHECKIN = [new RegExp(`/checkin/(${REF})-?(${REF})\\b`, "i"), new RegExp(`^\\s*(${REF})[- ]?(${REF})\\s*$`, "i")];
// A kiosk's secret: in the fragment (#token=..., never sent to a server or logged), or ?token= as before.
const token = new URLSearchParams(location.hash.slice(1)).get("token") || params.get("token");
const HOLD_MS = 400; // a press longer than this is push-to-talk; shorter is a tap that toggles
const NOTICE_MS = 8000;

const settings = loadSettings({ language: languageOf(params.get("lang")) || "en", mode: params.get("mode") || "push_to_talk" });
let t = strings(settings.language);
const metrics = { frames: 0, speakingFrames: 0, speakingMs: 0, speechToAudibleMs: [], avatarFirstPaintMs: null,
  interactiveMs: null };
// manualClock: tests and the gesture strip drive avatar.update(t) themselves (the frame loop leaves the avatar alone)
// receive(message): what the page does with a bridge message, for tests that show cards without a dialogue core
const kiosk = { settings, metrics, events: [], state: "idle", manualClock: false, lobby, micConsent: !lobby,
  receive: (message) => onMessage(message) };
window.lobbyKiosk = kiosk;

function applySettings() {
  document.documentElement.classList.toggle("elderly", settings.elderly);
  document.documentElement.classList.toggle("high-contrast", settings.contrast);
  document.documentElement.lang = htmlLang(settings.language);
  $("elderly").setAttribute("aria-pressed", String(settings.elderly));
  $("contrast").setAttribute("aria-pressed", String(settings.contrast));
  $("language").value = settings.language;
  $("mode").value = settings.mode;
  t = strings(settings.language);
  document.documentElement.classList.toggle("lobby", lobby);
  translatePage(document, settings.language);
  document.title = t.appTitle;
  $("avatar").querySelector("svg")?.setAttribute("aria-label", t.avatar); // the drawing names itself in English
  micLabel();
  setState(kiosk.state);
  setConnection(kiosk.client?.status || "idle");
}

function helloFields() {
  return { kiosk_id: kioskId, language: settings.language, mode: settings.mode, elderly: settings.elderly,
    capabilities: { audio_in: true, audio_out: true, visemes: true, gestures: true }, ...(token ? { token } : {}) };
}

// --- conversation on screen -------------------------------------------------------------------
function addEntry(kind, text, extra = []) {
  const li = h("li", { class: `msg msg-${kind}` },
    h("span", { class: "visually-hidden" }, `${kind === "bot" ? t.guide : t.you}${t.colon}`),
    text ? h("span", { class: "msg-text" }, text) : null, extra);
  $("conversation").append(li);
  li.scrollIntoView({ block: "end" });
  return li;
}

function showBotMessage(message) {
  const extras = [];
  for (const card of message.cards?.length ? message.cards : [message.card]) {
    const el = renderCard(card, { t, apiBase: location.href, web: lobby, language: settings.language });
    if (el) extras.push(el);
  }
  const buttons = renderButtons(message.buttons, pickButton, { t });
  if (buttons) extras.push(buttons);
  addEntry("bot", message.text, extras);
  setCaption(message.text);
  showFloorSign(message);
}

/** Directions to another floor: the avatar holds up a sign (arrow, floor, "take the lift") until the next answer. */
function showFloorSign(message) {
  const cards = message.cards?.length ? message.cards : [message.card];
  const sign = cards.map((card) => card && floorChange(t, card.fields)).find(Boolean);
  if (sign) kiosk.avatar.showSign?.(sign);
  else kiosk.avatar.hideSign?.();
}

function pickButton(button) {
  interruptLocally();
  addEntry("user", button.title);
  kiosk.client.send({ type: "button", payload: button.payload, title: button.title });
}

/** Captions: plain text, or an utterance's written tokens cut into the pieces its spoken words name
 * (captions.js), each piece a span listing its spoken words, so the one being said can be highlighted. */
function setCaption(text, utterance = null) {
  const box = $("captions");
  box.replaceChildren();
  kiosk.captionShape = utterance ? `${utterance.id}/${utterance.display.length}/${utterance.words.length}` : null;
  if (utterance) {
    captionPieces(utterance.display, utterance.words).forEach((piece, i) => {
      if (piece.sep) box.append(piece.sep);
      box.append(h("span", { class: "word", "data-index": i, "data-words": piece.words.join(" ") }, piece.text));
    });
  } else if (text) {
    box.append(text);
  }
}

/** Highlight the caption pieces the spoken word names (none between words). */
function highlightWord(word) {
  const box = $("captions");
  box.querySelectorAll(".word.current").forEach((el) => el.classList.remove("current"));
  if (word == null) return;
  box.querySelectorAll(".word").forEach((el) => {
    if (el.dataset.words && el.dataset.words.split(" ").includes(String(word))) el.classList.add("current");
  });
}

function notice(text) {
  $("notice").textContent = text;
  clearTimeout(notice.timer);
  if (text) notice.timer = setTimeout(() => ($("notice").textContent = ""), NOTICE_MS);
}

function setState(state) {
  kiosk.state = state;
  const el = $("state");
  el.dataset.state = state;
  el.textContent = t[state] || state;
  document.querySelector(".stage").dataset.state = state;
  kiosk.avatar?.setState(state);
  // nothing more to say: a held gesture (think, listen) eases back to rest instead of freezing
  if (state === "idle" && !kiosk.player?.speaking) kiosk.avatar?.release?.();
}

function setConnection(status) {
  const el = $("connection");
  el.dataset.status = status;
  el.textContent = status === "idle" ? "" : t[status] || status; // not connected yet: nothing to say
}

// --- speech and avatar ---------------------------------------------------------------------------
function interruptLocally() {
  if (kiosk.player?.speaking) kiosk.player.stop();
}

/** A conversation is over (new citizen, inactivity, expiry, ended by staff): nothing of it stays on screen. */
function clearConversation() {
  kiosk.player.stop();
  $("conversation").replaceChildren();
  setCaption("");
  kiosk.avatar.hideSign?.();
  kiosk.avatar.playGesture("idle", {});
}

function onMessage(message) {
  kiosk.events.push(message.type);
  const player = kiosk.player;
  switch (message.type) {
    case "session":
      if (["reset", "inactivity", "expired"].includes(message.reason)) { // expired: absolute lifetime
        clearConversation();
        if (message.reason !== "reset") notice(t.privacy);
      } else if (message.reconnected || kiosk.endedByStaff) {
        if (!kiosk.endedByStaff) notice(t.open); // after ended_by_admin its explanation stays on screen
        kiosk.endedByStaff = false;
        if (settings.mode === "hands_free") startHandsFree();
      }
      break;
    case "state":
      setState(message.state);
      break;
    case "transcript":
      if (message.kind === "final" && message.text) {
        kiosk.partial?.remove();
        kiosk.partial = null;
        addEntry("user", message.text).classList.add("msg-transcript");
      } else if (message.text) {
        if (!kiosk.partial) kiosk.partial = addEntry("user", "");
        kiosk.partial.classList.add("msg-transcript", "msg-partial");
        kiosk.partial.replaceChildren(h("span", { class: "msg-text" }, message.text));
      }
      break;
    case "language":
      // language following (docs/protocol.md): the bridge heard the citizen speak the other language and the
      // session answers in it from this turn on; the screen follows and says so (not saved: a visit's choice)
      if (languageOf(message.language) && message.language !== settings.language) {
        settings.language = languageOf(message.language);
        applySettings();
        notice(t.languageFollowed);
      }
      break;
    case "bot_message":
      showBotMessage(message);
      break;
    case "emotion":
      kiosk.avatar.setEmotion(message.name, message.intensity);
      break;
    case "gesture":
      player.gesture(message);
      break;
    case "speech":
      player.speech(message);
      break;
    case "speech_end":
      player.speechEnd(message);
      break;
    case "error":
      console.warn("bridge error", message.code, message.message);
      if (message.code === "ended_by_admin") { // staff ended it; the client reconnects to a fresh conversation
        clearConversation();
        kiosk.endedByStaff = true;
      }
      if (t[`error_${message.code}`]) notice(t[`error_${message.code}`]); // what a citizen can do about it
      if (message.code === "unknown_type" && /settings/.test(message.message)) {
        // a bridge without run-time settings: reconnect, the new hello carries them (the screen is kept)
        kiosk.client.ws?.close();
      }
      if (message.code === "hands_free_unavailable" && settings.mode === "hands_free") {
        // the bridge is at its hands-free capacity and serves this session push-to-talk (docs/protocol.md);
        // not saved, so the next visit asks for hands-free again
        stopHandsFree();
        settings.mode = "push_to_talk";
        applySettings();
        micLabel();
      }
      break;
    default:
      break;
  }
}

function frame(now) {
  const { player, avatar } = kiosk;
  const view = player.tick();
  avatar.setViseme(view.viseme);
  if (view.utterance) {
    metrics.speakingFrames += 1;
    if (kiosk.lastFrame) metrics.speakingMs += now - kiosk.lastFrame;
    const u = view.utterance;
    if (kiosk.captionShape !== `${u.id}/${u.display.length}/${u.words.length}`) {
      setCaption(null, u);
      kiosk.currentWord = undefined;
    }
    if (kiosk.currentWord !== view.word) {
      highlightWord(view.word);
      kiosk.currentWord = view.word;
    }
  }
  metrics.frames += 1;
  kiosk.lastFrame = now;
  if (!kiosk.manualClock) avatar.update(now);
  requestAnimationFrame(frame);
}

// --- microphone -----------------------------------------------------------------------------------
function micLabel() {
  $("mic").setAttribute("aria-label", settings.mode === "hands_free" ? (kiosk.mic?.active ? t.micHandsFree : t.micOff) : t.mic);
}

async function startTalking() {
  if (kiosk.talking) return;
  kiosk.talking = true;
  $("mic").setAttribute("aria-pressed", "true");
  interruptLocally();
  kiosk.client.send({ type: "audio_start", sample_rate: 16000, encoding: "pcm16" });
  try {
    await kiosk.mic.start();
  } catch (error) {
    console.warn("microphone unavailable", error);
    notice(t.micDenied);
    stopTalking();
  }
}

function stopTalking() {
  if (!kiosk.talking) return;
  kiosk.talking = false;
  $("mic").setAttribute("aria-pressed", "false");
  kiosk.mic.stop();
  kiosk.client.send({ type: "audio_end" });
}

async function startHandsFree() {
  if (settings.mode !== "hands_free") return;
  if (!kiosk.micConsent) { showMicConsent(); return; }
  kiosk.talking = false;
  kiosk.client.send({ type: "audio_start", sample_rate: 16000, encoding: "pcm16" });
  try {
    await kiosk.mic.start();
    $("mic").setAttribute("aria-pressed", "true");
  } catch (error) {
    console.warn("microphone unavailable", error);
    notice(t.micDenied);
  }
  micLabel();
}

function stopHandsFree() {
  if (kiosk.mic.active) {
    kiosk.mic.stop();
    kiosk.client.send({ type: "audio_end" });
  }
  $("mic").setAttribute("aria-pressed", "false");
  micLabel();
}

// --- microphone consent (home mode) --------------------------------------------------------------
/** At home the browser asks for the microphone: say why first; typing stays the way in when it is refused. */
function showMicConsent() {
  if (kiosk.micBlocked) { micRefused(); return; }
  $("mic-consent").hidden = false;
  $("mic-allow").focus();
}

function micRefused() {
  kiosk.micBlocked = true;
  kiosk.micConsent = false;
  $("mic-consent").hidden = true;
  $("mic").setAttribute("aria-disabled", "true");
  $("mic").classList.add("mic-blocked");
  notice(t.micRefused);
  $("question").focus();
}

async function askForMicrophone() {
  $("mic-consent").hidden = true;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    stream.getTracks().forEach((track) => track.stop());
    kiosk.micConsent = true;
    $("mic").focus();
    if (settings.mode === "hands_free") startHandsFree();
  } catch (error) {
    console.warn("microphone refused", error);
    micRefused();
  }
}

async function checkMicPermission() {
  try {
    const status = await navigator.permissions?.query({ name: "microphone" });
    if (status?.state === "granted") kiosk.micConsent = true;
    if (status?.state === "denied") micRefused();
  } catch {
    // browsers without the Permissions API for the microphone ask on first use
  }
}

function wireMic() {
  const button = $("mic");
  let pressedAt = 0, pressStarted = false, suppressClick = false;
  $("mic-allow").addEventListener("click", askForMicrophone);
  $("mic-type").addEventListener("click", () => { $("mic-consent").hidden = true; $("question").focus(); });
  button.addEventListener("pointerdown", () => {
    if (!kiosk.micConsent) return; // the click shows why the microphone is needed
    if (settings.mode !== "push_to_talk" || kiosk.talking) return;
    pressedAt = performance.now();
    pressStarted = true;
    startTalking();
  });
  button.addEventListener("pointerup", () => {
    if (pressStarted && kiosk.talking && performance.now() - pressedAt > HOLD_MS) {
      stopTalking();
      suppressClick = true;
      pressStarted = false;
    }
  });
  button.addEventListener("click", () => {
    if (!kiosk.micConsent) { showMicConsent(); return; }
    if (settings.mode === "hands_free") {
      if (kiosk.mic.active) stopHandsFree();
      else startHandsFree();
      return;
    }
    if (suppressClick) { suppressClick = false; return; }
    if (pressStarted) { pressStarted = false; return; } // a tap: keep listening until the next tap
    if (kiosk.talking) stopTalking();
    else startTalking();
  });
}

// --- settings ---------------------------------------------------------------------------------------
function changeSettings(change) {
  Object.assign(settings, change);
  saveSettings(settings);
  applySettings();
  kiosk.client?.send({ type: "settings", ...change });
}

function wireControls() {
  $("ask").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("question").value.trim();
    if (!text) return;
    $("question").value = "";
    interruptLocally();
    addEntry("user", text);
    const scanned = CHECKIN.map((pattern) => text.match(pattern)).find(Boolean);
    const reference = scanned && `${scanned[1]}-${scanned[2]}`.toUpperCase();
    if (reference && /\d/.test(reference) && /[A-Z]/.test(reference)) { // well formed, as actions/reference.py
      // a scanned confirmation QR code (the scanner types it) or a bare reference: check in with it exactly
      kiosk.client.send({ type: "button", payload: `/check_in{"reference":"${reference}"}`, title: text });
      return;
    }
    kiosk.client.send({ type: "text", text });
  });
  if (!lobby) {
    // A USB QR scanner types like a keyboard: whatever has the focus, its characters go to the question box.
    document.addEventListener("keydown", (event) => {
      const target = event.target;
      if (!kiosk.started || event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) return;
      if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement) return;
      $("question").focus();
    }, true);
  }
  $("stop").addEventListener("click", () => {
    interruptLocally();
    kiosk.client.send({ type: "interrupt" });
  });
  $("reset").addEventListener("click", () => kiosk.client.send({ type: "reset" }));
  $("elderly").addEventListener("click", () => changeSettings({ elderly: !settings.elderly }));
  $("contrast").addEventListener("click", () => { settings.contrast = !settings.contrast; saveSettings(settings); applySettings(); });
  $("language").addEventListener("change", (e) => changeSettings({ language: e.target.value }));
  $("mode").addEventListener("change", (e) => {
    if (settings.mode === "hands_free") stopHandsFree();
    if (kiosk.talking) stopTalking();
    changeSettings({ mode: e.target.value });
    micLabel();
    if (settings.mode === "hands_free") startHandsFree();
  });
  wireMic();
}

async function start() {
  const audio = new (window.AudioContext || window.webkitAudioContext)();
  await audio.resume();
  kiosk.audio = audio;
  const player = new SpeechPlayer(audio);
  kiosk.player = player;
  player.addEventListener("gesture", (e) => {
    kiosk.avatar.playGesture(e.detail.name, { durationMs: e.detail.duration_ms, target: e.detail.target, beat: e.detail.beat });
  });
  player.addEventListener("speech", (e) => {
    if (e.detail.message.seq === 0) setCaption(null, e.detail.utterance);
  });
  player.addEventListener("started", (e) => {
    kiosk.client.send({ type: "playback", utterance_id: e.detail.id, state: "started" });
  });
  player.addEventListener("ended", (e) => {
    const u = e.detail.utterance;
    if (u.audibleAt && u.firstSpeechAt) metrics.speechToAudibleMs.push(u.audibleAt - u.firstSpeechAt);
    highlightWord(null);
    kiosk.currentWord = null;
    kiosk.avatar.release?.({ keepHeld: true }); // the speech is over: its gesture eases back to rest
    if (u.t0 != null) kiosk.client.send({ type: "playback", utterance_id: u.id, state: "finished" });
  });
  kiosk.mic = new Microphone(audio, (buffer) => kiosk.client.sendAudio(buffer));
  const client = new BridgeClient(params.get("ws") || bridgeUrl(), helloFields);
  kiosk.client = client;
  client.addEventListener("message", (e) => onMessage(e.detail));
  client.addEventListener("audio", (e) => player.audio(e.detail));
  client.addEventListener("status", (e) => {
    setConnection(e.detail);
    if (e.detail === "reconnecting") notice(t.reconnecting);
  });
  client.addEventListener("closed", () => {
    player.stop();
    if (kiosk.talking) { kiosk.talking = false; kiosk.mic.stop(); $("mic").setAttribute("aria-pressed", "false"); }
  });
  client.connect();
  $("start-screen").hidden = true;
  $("app").inert = false;
  micLabel();
  addEntry("bot", lobby ? t.lobbyWelcome : t.welcome);
  if (settings.mode === "hands_free" && kiosk.micConsent) client.addEventListener("message", function first(e) {
    if (e.detail.type === "session") { client.removeEventListener("message", first); startHandsFree(); }
  });
  $("question").focus();
}

async function main() {
  if (lobby) {
    // home mode: its own start words; the rest of the page is the same (captions, cards, settings)
    document.querySelector("#start [data-i18n='start']").dataset.i18n = "lobbyStart";
    document.querySelector("#start [data-i18n='startHint']").dataset.i18n = "lobbyStartHint";
    checkMicPermission();
  }
  applySettings();
  wireControls();
  const avatar = await createAvatar(params.get("avatar") || "svg");
  avatar.mount($("avatar"));
  kiosk.avatar = avatar;
  $("avatar").querySelector("svg")?.setAttribute("aria-label", t.avatar);
  requestAnimationFrame((now) => {
    avatar.update(now);
    requestAnimationFrame(() => {
      metrics.avatarFirstPaintMs = performance.now();
      performance.mark("lobby:avatar-first-paint");
    });
  });
  kiosk.player = new SpeechPlayer(null);
  requestAnimationFrame(frame);
  const button = $("start");
  button.addEventListener("click", () => {
    if (kiosk.started) return;
    kiosk.started = true;
    start().catch((error) => {
      console.error("start failed", error);
      kiosk.started = false;
    });
  });
  button.disabled = false;
  button.focus();
  metrics.interactiveMs = performance.now();
  performance.mark("lobby:interactive");
  document.body.dataset.ready = "true";
}

main();
