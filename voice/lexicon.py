"""How English voices should say the pinyin words citizens use for services.

espeak-ng's English rules read "hukou" as "hyoo-koo" and "shebao" as
"sheh-bay-oh"; respelling them in English letters gets close to the Mandarin
and, as a side effect, lets the recogniser's biasing prompt match what it
hears in round-trip tests. Only the pronunciation changes: word timings and
captions keep the written word.
"""

from __future__ import annotations

EN_RESPELLINGS: dict[str, str] = {
    "hukou": "hoo-koh",
    "gongjijin": "gong-jee-jin",
    "shebao": "shuh-bow",
    "yibao": "ee-bow",
    "huzhao": "hoo-jow",
    "jiazhao": "jyah-jow",
    "juzhuzheng": "jyoo-joo-jung",
    "shenfenzheng": "shun-fun-jung",
    "jiehunzheng": "jyeh-hwun-jung",
    "canjizheng": "tsahn-jee-jung",
    "getihu": "guh-tee-hoo",
    "laonianka": "lao-nyen-kah",
    "geshui": "guh-shway",
    "ruxue": "roo-shweh",
    "qianyi": "chyen-ee",
    "zhuanyi": "jwahn-ee",
    "tiqu": "tee-chee",
    "yanglao": "yahng-lao",
}


def respell(word: str) -> str:
    """The respelling of one word for English voices, or the word itself."""
    return EN_RESPELLINGS.get(word.lower(), word)
