// Kiosk settings kept in localStorage, so elderly mode, contrast and language survive a reload.
import { LANGUAGES } from "./i18n.js";

const KEY = "lobby-guide.kiosk-settings";
const DEFAULTS = { elderly: false, contrast: false, language: "en", mode: "push_to_talk" };

export function loadSettings(defaults = {}) {
  let stored = {};
  try {
    stored = JSON.parse(localStorage.getItem(KEY) || "{}") || {};
  } catch {
    stored = {};
  }
  const settings = { ...DEFAULTS, ...defaults, ...stored };
  if (!LANGUAGES.includes(settings.language)) settings.language = "en"; // a language with a string table
  if (!["push_to_talk", "hands_free"].includes(settings.mode)) settings.mode = "push_to_talk";
  settings.elderly = Boolean(settings.elderly);
  settings.contrast = Boolean(settings.contrast);
  return settings;
}

export function saveSettings(settings) {
  try {
    localStorage.setItem(KEY, JSON.stringify(settings));
  } catch (error) {
    console.warn("settings not saved", error);
  }
}
