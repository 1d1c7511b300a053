// Kiosk settings kept in localStorage, so elderly mode, contrast and language survive a reload.
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
  if (!["en", "zh"].includes(settings.language)) settings.language = "en";
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
