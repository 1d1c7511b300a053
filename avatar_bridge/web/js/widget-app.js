// The web chat widget: the same guide in text mode over protocol v1, with the same cards and buttons.
// Lives in a shadow root (the host page's styles and ours do not mix); keyboard and screen-reader
// friendly; the visible conversation is kept in sessionStorage, so it survives reloads within a session.
// Its language is its `data-language`, else the host page's `lang`, which it keeps following: when the page
// switches language, every label of the widget changes with it and the guide answers in the new language.

import { BridgeClient } from "./bridge-client.js";
import { h, renderButtons, renderCard } from "./cards.js";
import { htmlLang, languageOf, strings } from "./i18n.js";

const STORE = "lobby-guide.widget";

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE) || "null") || { open: false, entries: [] };
  } catch {
    return { open: false, entries: [] };
  }
}

/** The language a widget without `data-language` speaks: the host page's. */
export function pageLanguage(doc = document) {
  return languageOf(doc.documentElement.lang) || "en";
}

export function mountWidget({ server, kioskId = "web", language = null, open = false }) {
  const followPage = !languageOf(language); // no (usable) data-language: follow the page's lang
  language = languageOf(language) || pageLanguage();
  let t = strings(language);
  const saved = load();
  const state = { open: saved.open || open, entries: saved.entries || [], sessionId: saved.sessionId || null };
  const save = () => {
    try {
      sessionStorage.setItem(STORE, JSON.stringify({ open: state.open, entries: state.entries.slice(-100),
        sessionId: state.sessionId }));
    } catch (error) {
      console.warn("widget history not saved", error);
    }
  };

  const host = h("div", { id: "lobby-guide-widget" });
  document.body.append(host);
  const root = host.attachShadow({ mode: "open" });
  for (const file of ["common.css", "widget.css"]) {
    root.append(h("link", { rel: "stylesheet", href: new URL(`static/css/${file}`, server).href }));
  }
  const launcher = h("button", { type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "lg-panel" });
  const log = h("ol", { class: "log", "aria-live": "polite", "aria-relevant": "additions" });
  const status = h("p", { class: "status", role: "status" });
  const input = h("input", { id: "lg-input", type: "text", autocomplete: "off", maxlength: "1000" });
  const inputLabel = h("label", { for: "lg-input", class: "visually-hidden" });
  const send = h("button", { type: "submit", class: "send" });
  const form = h("form", { class: "ask" }, inputLabel, input, send);
  const close = h("button", { type: "button", class: "close" }, "×");
  const title = h("h2", { id: "lg-title" });
  const panel = h("section", { id: "lg-panel", class: "panel", role: "region", "aria-labelledby": "lg-title", hidden: true },
    h("header", {}, title, close), log, status, form);
  const widget = h("div", { class: "lg-widget" }, panel, launcher);
  root.append(widget);

  /** Every label of the widget in the current language (and the conversation drawn again with them). */
  function label() {
    widget.lang = htmlLang(language);
    launcher.textContent = t.openChat;
    log.setAttribute("aria-label", t.conversation);
    input.placeholder = t.placeholder;
    inputLabel.textContent = t.placeholder;
    send.textContent = t.send;
    close.setAttribute("aria-label", t.closeChat);
    title.textContent = t.chatTitle;
    status.textContent = "";
  }
  label();

  const client = new BridgeClient(new URL("ws", server.replace(/^http/, "ws")).href, () => ({
    kiosk_id: kioskId, language, capabilities: { audio_in: false, audio_out: false, visemes: false, gestures: false },
  }), { resumeId: state.sessionId }); // a reload continues the same conversation

  function draw(entry) {
    const extras = [];
    if (entry.kind === "bot") {
      for (const card of entry.cards || []) {
        const el = renderCard(card, { t, apiBase: server, web: true, language }); // on the city's website
        if (el) extras.push(el);
      }
      const buttons = renderButtons(entry.buttons, pick, { t });
      if (buttons) extras.push(buttons);
    }
    const li = h("li", { class: `msg msg-${entry.kind}` },
      h("span", { class: "visually-hidden" }, `${entry.kind === "bot" ? t.guide : t.you}${t.colon}`),
      h("span", { class: "msg-text" }, entry.welcome ? t.welcome : entry.text), extras);
    log.append(li);
    li.scrollIntoView?.({ block: "end" });
  }

  function add(entry) {
    state.entries.push(entry);
    save();
    draw(entry);
  }

  function pick(button) {
    add({ kind: "user", text: button.title });
    client.send({ type: "button", payload: button.payload, title: button.title });
  }

  function setOpen(value, focus = true) {
    state.open = value;
    save();
    panel.hidden = !value;
    launcher.setAttribute("aria-expanded", String(value));
    launcher.hidden = value;
    if (value) {
      if (!client.ws && !client.stopped) client.connect();
      if (focus) input.focus();
    } else if (focus) {
      launcher.focus();
    }
  }

  client.addEventListener("message", (event) => {
    const m = event.detail;
    if (m.type === "bot_message") {
      add({ kind: "bot", text: m.text, cards: (m.cards?.length ? m.cards : [m.card]).filter(Boolean), buttons: m.buttons });
    } else if (m.type === "session") {
      state.sessionId = m.session_id;
      save();
      if (["inactivity", "expired", "reset"].includes(m.reason)) status.textContent = m.reason === "reset" ? "" : t.privacy;
    } else if (m.type === "error" && m.code === "ended_by_admin") {
      // staff ended the conversation: clear it and say so in the log, where it stays until the citizen asks
      // again (the client reconnects to a fresh conversation, not this id)
      state.entries = [];
      state.sessionId = null;
      log.replaceChildren();
      add({ kind: "bot", text: t.error_ended_by_admin });
    } else if (m.type === "error" && t[`error_${m.code}`]) {
      status.textContent = t[`error_${m.code}`]; // what the citizen can do about it, in their language
    } else if (m.type === "state") {
      status.textContent = m.state === "thinking" ? t.thinking : "";
    }
  });
  client.addEventListener("status", (event) => {
    if (event.detail === "reconnecting") status.textContent = t.reconnecting;
    else if (event.detail === "open" && status.textContent === t.reconnecting) status.textContent = "";
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    add({ kind: "user", text });
    client.send({ type: "text", text });
  });
  launcher.addEventListener("click", () => setOpen(true));
  close.addEventListener("click", () => setOpen(false));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setOpen(false);
  });

  /** The page changed its language: relabel, redraw, and have the guide answer in it from now on. */
  function setLanguage(next) {
    if (next === language) return;
    language = next;
    t = strings(language);
    label();
    log.replaceChildren();
    state.entries.forEach(draw);
    if (client.ws) client.send({ type: "settings", language });
  }
  if (followPage) {
    new MutationObserver(() => setLanguage(pageLanguage())).observe(document.documentElement,
      { attributes: true, attributeFilter: ["lang"] });
  }

  if (!state.entries.length) state.entries.push({ kind: "bot", welcome: true, text: t.welcome });
  state.entries.forEach(draw);
  setOpen(state.open, false);
  window.lobbyWidget = { client, state, root, get language() { return language; } };
  return window.lobbyWidget;
}
