"""Which language a citizen's message is in, and which NLU file holds each language's examples.

The trainer files a message under the language the guide answered it in, so the rule is the one of
`actions/language.py`: Chinese characters mean Chinese; two or more Latin words and no Chinese mean English;
anything else (a button payload, digits, one word such as "C03") takes the language the client asked for in
the message metadata (`language`, top level or `customData`; "zh-CN" is "zh"), else English. It is written
out here rather than imported because importing the `actions` package loads and validates the whole
knowledge base; tests/trainer/test_languages.py checks that both rules agree on every held-back phrase.

Training data: `data/nlu/<code>.yml` holds the examples of a non-base language (`zh.yml`); every other
hand-written NLU file is in the base language, English.
"""

from __future__ import annotations

from typing import Any

from kb.languages import BASE_LANGUAGE, CHINESE, text_language  # noqa: F401  (re-exported: one rule, kb.languages)

# The languages the trainer can tell apart, with the names its (English) pages show.
LANGUAGE_NAMES: dict[str, str] = {BASE_LANGUAGE: "English", CHINESE: "Chinese"}


def metadata_language(metadata: Any) -> str | None:
    """The language a client asked for in a message's metadata, as a known code, or None."""
    if not isinstance(metadata, dict):
        return None
    custom = metadata.get("customData") if isinstance(metadata.get("customData"), dict) else {}
    asked = str(metadata.get("language") or custom.get("language") or "").strip().lower()
    code = asked.split("-", 1)[0].split("_", 1)[0]
    return code if code in LANGUAGE_NAMES else None


def message_language(text: str, hint: str | None = None) -> str:
    """The language of one message: its words decide; else the hint (the session's language); else English."""
    return text_language(text) or (hint if hint in LANGUAGE_NAMES else None) or BASE_LANGUAGE


def language_name(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or "", code or "unknown")


def parse_language(value: str) -> str:
    """A language code given by a trainer (`zh`, `ZH`, `zh-CN`, `chinese`); ValueError names the known ones."""
    raw = value.strip().lower()
    for code, name in LANGUAGE_NAMES.items():
        if raw == code or raw.startswith(code + "-") or raw == name.lower():
            return code
    known = ", ".join(f"{c} ({n})" for c, n in LANGUAGE_NAMES.items())
    raise ValueError(f"unknown language {value!r}: the trainer knows {known}")


def file_language(stem: str) -> str:
    """The language of an NLU file by its name: `zh.yml` is Chinese, any other file is English."""
    return stem if stem in LANGUAGE_NAMES and stem != BASE_LANGUAGE else BASE_LANGUAGE
