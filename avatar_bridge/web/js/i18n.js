// Interface strings of the kiosk, the home page and the widget: one table per language (protocol `language`),
// in strings/<code>.json, so a centre edits words without touching code and a unit test checks that every key
// exists in every table (tests/web/test_string_tables.py). Texts that put values in a sentence are templates
// with {placeholders}, because word order differs: "Window C13" / "C13窗口", "Zone C" / "C区".
import en from "./strings/en.json" with { type: "json" };
import zh from "./strings/zh.json" with { type: "json" };

export const TABLES = { en, zh };
export const LANGUAGES = Object.keys(TABLES);
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** The table of a language; an unknown language gets English (every table has every key). */
export function strings(language = "en") {
  return TABLES[language] || TABLES.en;
}

/** The language a page or widget asks for ("zh-CN", "zh-Hans" → "zh"), or null if it is not offered. */
export function languageOf(tag) {
  const code = String(tag || "").trim().toLowerCase().split(/[-_]/)[0];
  return LANGUAGES.includes(code) ? code : null;
}

/** The HTML `lang` for a guide language (Simplified Chinese as written in the mainland). */
export function htmlLang(language) {
  return language === "zh" ? "zh-CN" : language;
}

/** A template with its {placeholders} filled; a missing value leaves the placeholder out. */
export function fmt(template, values = {}) {
  return String(template ?? "").replace(/\{(\w+)\}/g, (_, name) => (values[name] ?? "") + "");
}

/** 'Monday to Friday', 'Tuesday, Thursday' / '周一至周五', '周二、周四': from the knowledge base's day codes. */
export function daysText(t, days) {
  const idx = [...new Set(days || [])].map((d) => DAYS.indexOf(d)).filter((i) => i >= 0).sort((a, b) => a - b);
  const name = (i) => t[`day_${DAYS[i]}`];
  if (idx.length > 2 && idx[idx.length - 1] - idx[0] === idx.length - 1) {
    return fmt(t.dayRange, { first: name(idx[0]), last: name(idx[idx.length - 1]) });
  }
  return idx.map(name).join(t.daySep);
}

/** Fill every [data-i18n] element's text and [data-i18n-label|placeholder|title] attribute. */
export function translatePage(root, language) {
  const t = strings(language);
  root.querySelectorAll("[data-i18n]").forEach((node) => (node.textContent = t[node.dataset.i18n] ?? node.textContent));
  root.querySelectorAll("[data-i18n-label]").forEach((node) => node.setAttribute("aria-label", t[node.dataset.i18nLabel]));
  root.querySelectorAll("[data-i18n-placeholder]").forEach((node) => (node.placeholder = t[node.dataset.i18nPlaceholder]));
  root.querySelectorAll("[data-i18n-title]").forEach((node) => (node.title = t[node.dataset.i18nTitle]));
}
