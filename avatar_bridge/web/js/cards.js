// Cards and quick-reply buttons, shared by the kiosk and the web widget. A card is the dialogue core's
// custom payload; it reads only the fields the card contract documents (cards/model.py, published as
// avatar_bridge/schemas/card.json; docs/ARCHITECTURE.md "Cards"). Service cards also show the knowledge base's facts
// (window and zone, time, fee) and a QR code to the service's page, fetched from the bridge in the card's language.
// Every word the card adds comes from the language's string table (i18n.js): nothing English on a Chinese card.

import { daysText, fmt } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const factsCache = new Map();

/** A service's facts from the knowledge base, in `language` (names, zone names, times, fee notes). */
export function serviceFacts(apiBase, serviceId, language = "en") {
  const key = `${language}:${serviceId}`;
  if (!factsCache.has(key)) {
    const url = new URL(`/api/services/${encodeURIComponent(serviceId)}?lang=${encodeURIComponent(language)}`, apiBase);
    factsCache.set(key, fetch(url).then((r) => (r.ok ? r.json() : null)).catch(() => null));
  }
  return factsCache.get(key);
}

/** The pages the cards link to (checklist, hall) in the card's language: `?lang=zh`, nothing for English. */
const langQuery = (language) => (language && language !== "en" ? `?lang=${encodeURIComponent(language)}` : "");
const list = (items, ordered = false) => h(ordered ? "ol" : "ul", {}, items.map((i) => h("li", {}, i)));
const windowsText = (t, windows) => fmt(windows.length > 1 ? t.windows : t.window, { windows: windows.join(t.listSep) });
const zoneText = (t, zone, name) => fmt(name ? t.zoneNamed : t.zone, { zone, name });

function locationLine(t, loc, zoneName) {
  return `${windowsText(t, loc.windows)} · ${zoneText(t, loc.zone, zoneName)} · ${fmt(t.floor, { floor: loc.floor })}`;
}

function feeText(t, fee) {
  if (!fee) return null;
  if (fee.amount === 0) return t.free;
  const currency = fee.currency || "CNY";
  const amount = currency === "CNY" ? fmt(t.feeAmount, { amount: fee.amount, currency })
    : `${fee.amount} ${currency}`; // only yuan has a word in every table
  return fee.notes ? fmt(t.feeNotes, { fee: amount, notes: fee.notes.replace(/[.。]$/, "") }) : amount;
}

/** Kiosk-relative directions: side, distance and floors, in the page's language. */
function directionsText(t, d) {
  if (!d) return null;
  const floors = Math.abs(d.floor_change || 0);
  const floorKey = `floor${floors > 1 ? "s" : ""}${d.floor_change > 0 ? "Up" : "Down"}`;
  return [d.side && t[`side_${d.side}`], d.distance_m && fmt(t.distance, { metres: Math.round(d.distance_m) }),
    floors ? fmt(t[floorKey], { floors }) : null].filter(Boolean).join(t.directionsSep);
}

/** Directions to another floor, as a sign: {floor, change, label, hint}, or null on the same floor. */
export function floorChange(t, fields) {
  const change = fields?.directions?.floor_change;
  if (!change) return null;
  const floor = fields.location?.floor ?? fields.floor ?? null;
  const label = floor != null ? fmt(t.floor, { floor }) : `${change > 0 ? "+" : ""}${change}`;
  return { floor, change, label, hint: change > 0 ? t.liftUp : t.liftDown };
}

function floorSign(t, fields) {
  const sign = floorChange(t, fields);
  if (!sign) return null;
  return h("p", { class: "floor-sign", "data-floor-change": sign.change },
    h("span", { class: "floor-arrow", "aria-hidden": "true" }, sign.change > 0 ? "↑" : "↓"),
    h("strong", {}, sign.label), ` · ${sign.hint}`);
}

function topicBody(t, card) {
  const f = card.fields || {};
  if (f.unknown) return h("p", {}, fmt(t.unknown, { hotline: f.hotline }));
  switch (card.topic) {
    case "materials":
      return h("ul", { class: "checklist", "aria-label": t.materials },
        (f.materials || []).map((m) => h("li", { "data-material": m.name },
          h("span", { class: "item-name" }, m.name),
          h("span", { class: "item-form" }, `${t.formSep}${t[m.form] || m.form}${m.count > 1 ? fmt(t.count, { count: m.count }) : ""}`),
          m.notes ? h("span", { class: "item-notes" }, fmt(t.notes, { notes: m.notes.replace(/[.。]$/, "") })) : null)));
    case "location":
      return h("div", {}, h("p", { class: "where" }, locationLine(t, f.location, f.zone_name)), floorSign(t, f),
        directionsText(t, f.directions) ? h("p", { class: "directions" }, directionsText(t, f.directions)) : null);
    case "processing_time":
      return h("p", {}, f.processing_time);
    case "fee":
      return h("p", {}, feeText(t, f.fee));
    case "online":
      return h("p", {}, [f.online?.app_path || f.online?.web_url, f.online?.notes].filter(Boolean).join(". "));
    case "steps":
      return list(f.steps || [], true);
    case "eligibility":
      return list(f.eligibility || []);
    case "cross_province":
      return h("p", {}, f.cross_province?.how || "");
    case "summary":
      return h("p", {}, f.summary || "");
    default:
      return null;
  }
}

/** Web answers (no kiosk): where the hall is, with a link to its page and floor plan. */
function visitBlock(t, f, apiBase, language) {
  const v = f.visit;
  if (!v) return null;
  const zone = f.location?.zone;
  const hall = new URL(`/hall${langQuery(language)}${zone ? `#zone-${zone}` : ""}`, apiBase).href;
  return h("div", { class: "visit" },
    h("p", {}, h("strong", {}, v.hall), h("br"), v.address),
    h("p", {}, fmt(t.openHours, { hours: v.opening_hours })),
    h("p", {}, h("a", { href: hall, target: "_blank", rel: "noopener" }, t.hallMap)));
}

/** A service that needs one visit: the checklist to prepare, with a print-or-save page. */
function prepareBlock(t, card, apiBase, language) {
  const p = card.fields.prepare;
  if (!p) return null;
  const url = new URL(`/checklist/${encodeURIComponent(card.service_id)}${langQuery(language)}`, apiBase).href;
  return h("div", { class: "prepare" },
    h("p", { class: "card-topic" }, t.prepare),
    h("ul", { class: "checklist", "aria-label": t.materials },
      (p.materials || []).map((m) => h("li", { "data-material": m.name }, h("span", { class: "item-name" }, m.name),
        h("span", { class: "item-form" }, `${t.formSep}${t[m.form] || m.form}`)))),
    h("p", {}, h("a", { class: "print-link", href: url, target: "_blank", rel: "noopener" }, t.printOrSave)));
}

/** Fully online, on the web: the online path leads, as a link the citizen can click. */
function onlineBlock(t, card, facts) {
  const o = card.fields.online || facts?.online;
  if (!o?.fully_online) return null;
  const href = o.web_url || facts?.page_url;
  return h("p", { class: "online-first" }, h("strong", {}, t.doItOnline),
    href ? h("a", { href, target: "_blank", rel: "noopener" }, o.app_path || href) : o.app_path);
}

function factsBlock(t, card, facts, web = false) {
  const shown = card.topic;
  const rows = [];
  if (shown !== "location") rows.push([t.location, locationLine(t, facts.location, facts.zone_name)]);
  if (shown !== "processing_time" && facts.processing_time) rows.push([t.time, facts.processing_time]);
  if (shown !== "fee" && facts.fee) rows.push([t.fee, feeText(t, facts.fee)]);
  const dl = h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
  if (web) { // at home a QR code is no use: a link opens the service's page
    return h("div", { class: "card-facts" }, dl,
      h("p", { class: "service-link" }, h("a", { href: facts.page_url, target: "_blank", rel: "noopener" }, t.servicePage)));
  }
  const qr = h("figure", { class: "qr" });
  qr.innerHTML = facts.qr_svg; // SVG made by the bridge from the knowledge base, not from user input
  const svg = qr.querySelector("svg");
  if (svg) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", fmt(t.qrLabel, { url: facts.page_url }));
  }
  qr.append(h("figcaption", {}, fmt(t.scan, { app: facts.city_app })));
  return h("div", { class: "card-facts" }, dl, qr);
}

/** A card element for a card payload; service cards fill in their facts when they arrive. */
export function renderCard(card, { t, apiBase, web = false, language = "en" }) {
  if (!card || typeof card !== "object") return null;
  const f = card.fields || {};
  const title = card.service_name || t[card.topic] || t[card.kind] || "";
  const el = h("section", { class: `card card-${card.kind}`, "data-kind": card.kind, "data-topic": card.topic || "",
    "data-service": card.service_id || "", "aria-label": title },
  h("h3", { class: "card-title" }, title));
  if (card.kind === "service") {
    if (card.topic && t[card.topic]) el.append(h("p", { class: "card-topic" }, t[card.topic]));
    const online = web && card.fields?.online?.fully_online ? onlineBlock(t, card, null) : null;
    if (online) el.append(online);
    const body = topicBody(t, card);
    if (body) el.append(body);
    for (const block of [apiBase && prepareBlock(t, card, apiBase, language), apiBase && visitBlock(t, f, apiBase, language)]) {
      if (block) el.append(block);
    }
    if (card.service_id && apiBase) {
      serviceFacts(apiBase, card.service_id, language).then((facts) => {
        if (!facts) return;
        if (online && !facts.online?.web_url) online.replaceWith(onlineBlock(t, card, facts));
        el.append(factsBlock(t, card, facts, web));
      });
    }
  } else if (card.kind === "ticket" && f.issued) {
    el.append(h("p", { class: "ticket-number" }, f.number),
      h("p", {}, locationLine(t, { windows: f.windows || [], zone: f.zone, floor: f.floor })));
  } else if (card.kind === "appointment" && card.topic === "check_in") {
    if (f.checked_in) {
      el.append(h("p", { class: "ticket-number" }, f.number),
        h("p", {}, locationLine(t, { windows: f.windows || [], zone: f.zone, floor: f.floor })));
    } else {
      el.append(h("p", { class: "checkin-refused", "data-reason": f.reason || "" }, t[`checkin_${f.reason}`] || t.checkin_unknown));
    }
    if (f.reference) el.append(h("p", {}, t.referenceLine, h("strong", { class: "reference" }, f.reference)));
  } else if (card.kind === "appointment") {
    el.append(h("dl", { class: "facts" }, h("dt", {}, t.reference), h("dd", { class: "reference" }, f.reference),
      h("dt", {}, t.appointmentWhen), h("dd", {}, fmt(t.appointmentTime, { date: f.date, time: f.time }))));
    if (apiBase && f.reference) { // the confirmation's QR code: shown (or printed) at a kiosk's scanner to check in
      el.append(h("figure", { class: "qr checkin-qr" },
        h("img", { src: new URL(`/api/appointments/${encodeURIComponent(f.reference)}/qr.svg`, apiBase).href,
          alt: fmt(t.checkinQr, { reference: f.reference }), width: "150", height: "150" }),
        h("figcaption", {}, t.checkinHint)));
      if (card.service_id) {
        const checklist = `/checklist/${encodeURIComponent(card.service_id)}${langQuery(language)}`;
        el.append(h("p", {}, h("a", { class: "print-link", href: new URL(checklist, apiBase).href,
          target: "_blank", rel: "noopener" }, t.printOrSave)));
      }
    }
    const visit = visitBlock(t, f, apiBase || location.href, language);
    if (visit) el.append(visit);
  } else if (card.kind === "hall" && card.topic === "hours") {
    el.append(list((f.opening_hours || []).map((o) => fmt(t.hoursLine, { days: daysText(t, o.days), open: o.open,
      close: o.close }))));
    if ((f.closed_days || []).length) {
      const days = f.closed_days.map((c) => fmt(t.closedDay, { date: c.date, reason: c.reason })).join(t.closedSep);
      el.append(h("p", {}, fmt(t.closedDays, { days })));
    }
  } else if (f.directions || f.hotline || f.visit) {
    const sign = floorSign(t, f);
    if (sign) el.append(sign);
    if (directionsText(t, f.directions)) el.append(h("p", { class: "directions" }, directionsText(t, f.directions)));
    if (f.hotline) el.append(h("p", {}, fmt(t.hotline, { hotline: f.hotline })));
    const visit = visitBlock(t, f, apiBase || location.href, language);
    if (visit) el.append(visit);
  }
  return el.childElementCount > 1 ? el : null;
}

/** Quick-reply buttons; onPick(button) is called with {title, payload}. */
export function renderButtons(buttons, onPick, { t }) {
  if (!buttons || !buttons.length) return null;
  const group = h("div", { class: "quick-replies", role: "group", "aria-label": t.followUps });
  for (const b of buttons) {
    group.append(h("button", { type: "button", class: "quick-reply", "data-payload": b.payload,
      onclick: () => onPick(b) }, b.title));
  }
  return group;
}
