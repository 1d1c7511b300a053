"""Which languages the guide offers: `LOBBY_LANGUAGES`, read in one place.

English is the base language: `data/services/*.yml` and `data/hall.yml` hold it together with every
non-language fact. Each other language is a folder `data/lang/<code>/` holding only text
(kb/overlay.py). The default offers every language the shipped knowledge base is complete in, so a
clean checkout speaks both; a centre without Chinese content sets `LOBBY_LANGUAGES=en`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

BASE_LANGUAGE = "en"
CHINESE = "zh"
LANGUAGES_ENV = "LOBBY_LANGUAGES"
DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "zh")
LANG_DIR = "lang"  # <kb root>/lang/<code>/ holds one language's text
_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")  # BCP 47 language (and region/script) in lower case


def parse_languages(value: str) -> tuple[str, ...]:
    """`"en,zh"` (commas or spaces) -> ("en", "zh"); the base language always comes first.

    Raises ValueError naming the bad code, so a typo in the setting stops start-up instead of
    silently dropping a language.
    """
    codes: list[str] = []
    for raw in re.split(r"[,\s]+", value.strip()):
        if not raw:
            continue
        code = raw.lower()
        if not _CODE.match(code):
            raise ValueError(f"{LANGUAGES_ENV}: {raw!r} is not a language code such as 'en' or 'zh'")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ValueError(f"{LANGUAGES_ENV} is empty; leave it unset for the default {','.join(DEFAULT_LANGUAGES)}")
    if BASE_LANGUAGE in codes:
        codes.remove(BASE_LANGUAGE)
    return (BASE_LANGUAGE, *codes)


def enabled_languages(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The languages the guide offers, base language first (`LOBBY_LANGUAGES`, default en,zh).

    The base language is always included: its files carry the facts every language shares.
    """
    env = os.environ if env is None else env
    value = env.get(LANGUAGES_ENV)
    return parse_languages(value) if value and value.strip() else DEFAULT_LANGUAGES


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def text_language(text: str) -> str | None:
    """ "zh", "en", or None when the words alone do not tell (payloads, digits, one word).

    One rule for the action server (the language a reply is given in) and the trainer (the language a message
    is filed and annotated under), so the two never disagree about a message."""
    if text.startswith("/"):
        return None
    if _CJK.search(text):
        return CHINESE
    if len(_LATIN_WORD.findall(text)) >= 2:
        return BASE_LANGUAGE
    return None
