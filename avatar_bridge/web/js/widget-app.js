// The web chat widget: the same guide in text mode over protocol v1, with the same cards and buttons.
// Lives in a shadow root (the host page's styles and ours do not mix); keyboard and screen-reader
// friendly; the visible conversation is kept in sessionStorage, so it survives reloads within a session.

import { BridgeClient } from "./bridge-client.js";
import { h, renderButtons, renderCard } from "./cards.js";
import { strings } from "./i18n.js";

const STORE = "lobby-guide.widget";

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE) || "null") || { open: false, entries: [] };
  } catch {
    return { open: false, entries: [] };
  }
}

export function mountWidget({ server, kioskId = "web", language = "en", open = false }) {
  const t = strings(language);
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
  const launcher = h("button", { type: "button", class: "launcher", "aria-expanded": "false",
    "aria-controls": "lg-panel" }, t.openChat);
  const log = h("ol", { class: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": t.conversation });
  const status = h("p", { class: "status", role: "status" });
  const input = h("input", { id: "lg-input", type: "text", autocomplete: "off", maxlength: "1000", placeholder: t.placeholder });
  const form = h("form", { class: "ask" }, h("label", { for: "lg-input", class: "visually-hidden" }, t.placeholder), input,
    h("button", { type: "submit", class: "send" }, t.send));
  const close = h("button", { type: "button", class: "close", "aria-label": t.closeChat }, "×");
  const panel = h("section", { id: "lg-panel", class: "panel", role: "region", "aria-labelledby": "lg-title", hidden: true },
    h("header", {}, h("h2", { id: "lg-title" }, t.chatTitle), close), log, status, form);
  const widget = h("div", { class: "lg-widget", lang: language === "zh" ? "zh-CN" : "en" }, panel, launcher);
  root.append(widget);

  const client = new BridgeClient(new URL("ws", server.replace(/^http/, "ws")).href, () => ({
    kiosk_id: kioskId, language, capabilities: { audio_in: false, audio_out: false, visemes: false, gestures: false },
  }), { resumeId: state.sessionId }); // a reload continues the same conversation

  function draw(entry) {
    const extras = [];
    if (entry.kind === "bot") {
      for (const card of entry.cards || []) {
        const el = renderCard(card, { t, apiBase: server, web: true }); // the widget is on the city's website
        if (el) extras.push(el);
      }
      const buttons = renderButtons(entry.buttons, pick, { t });
      if (buttons) extras.push(buttons);
    }
    const li = h("li", { class: `msg msg-${entry.kind}` },
      h("span", { class: "visually-hidden" }, entry.kind === "bot" ? `${t.guide}: ` : `${t.you}: `),
      h("span", { class: "msg-text" }, entry.text), extras);
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

  if (!state.entries.length) state.entries.push({ kind: "bot", text: t.welcome });
  state.entries.forEach(draw);
  setOpen(state.open, false);
  window.lobbyWidget = { client, state, root };
  return window.lobbyWidget;
}
