"""espeak-ng's Mandarin (`cmn`) phonemes as IPA the viseme table understands, and where syllables start.

In IPA mode espeak-ng still reports some Mandarin phonemes by its own mnemonic
names rather than IPA: the retroflex initials zh ch sh r as `ts.` `ts.h` `s.`
(`ʐ` is IPA already), the vowel of zhi/chi/shi/ri as `i.`, the e of ge/he/she
as `o-`, syllabic "ng" (嗯) as `ŋ-`, and a foreign word inside Chinese between
language markers `(en)` … `(cmn)`. Read as IPA, "s." would be an s followed by
a pause and "o-" an o, so 生 (shēng) would show the SS mouth with a gap. This
module rewrites them: pinyin initials and finals then map to the Oculus set as
docs/voice.md tabulates (zh ch sh r j q x → CH, z c s → SS, b p m → PP,
f → FF, d t → DD, n l → nn, g k h → kk; a → aa, o → O, e → E, i and the apical
vowels → I / RR, u and ü → U; codas n → nn, ng → kk).

espeak-ng times whole dictionary words ("户口", "窗口"), while captions
highlight one character at a time (voice/cjk.py). `syllable_starts` finds
where each syllable begins in a word's phonemes, so a two-character word's time
is split where its second syllable is heard, not halfway.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_LANGUAGE_SWITCH = re.compile(r"\([a-z]{2,3}(?:-[a-z0-9]+)*\)")
# Longest first: "ts.h" before "ts." before "s.".
_MNEMONICS: tuple[tuple[str, str], ...] = (
    ("ts.h", "tʂʰ"),
    ("ts.", "tʂ"),
    ("s.", "ʂ"),
    ("z.", "ʐ"),
    ("i.", "ɻ̩"),  # the vowel of zhi chi shi ri: a retroflex approximant held as a vowel
    ("o-", "ɤ"),  # the e of ge, he, she, de
    ("ŋ-", "ŋ̍"),  # syllabic ng (嗯)
)
CHINESE_VOICES = ("cmn", "yue", "zh")
_VOWELS = frozenset("aeiouyɑɐæʌəɛɜɪʊɔɒøœɤ")
_SYLLABIC = frozenset("\u0329\u030d")  # combining marks: this consonant is a syllable (ɻ̩, ŋ̍)
_CODAS = frozenset(("n", "ŋ"))
_STRESS = "ˈˌ"


def espeak_ipa(phoneme: str, voice: str) -> str:
    """One espeak-ng phoneme event as IPA: language markers dropped everywhere, Mandarin mnemonics rewritten."""
    phoneme = _LANGUAGE_SWITCH.sub("", phoneme)
    if voice.split("+")[0] in CHINESE_VOICES:
        for mnemonic, ipa in _MNEMONICS:
            phoneme = phoneme.replace(mnemonic, ipa)
    return phoneme


def is_nucleus(phoneme: str) -> bool:
    """The phoneme carries a syllable: a vowel (or diphthong) or a syllabic consonant."""
    return any(ch in _VOWELS or ch in _SYLLABIC for ch in phoneme)


def syllable_starts(phonemes: Sequence[str]) -> list[int]:
    """Index of the first phoneme of each syllable in one word's phonemes (IPA, as `espeak_ipa` gives them).

    Mandarin syllables are (initial)(glide) vowel (n | ng): between two vowels, a lone consonant starts
    the next syllable (except ng, which only ends one), and of two or more the first is the coda of the
    previous syllable when it is n or ng.
    """
    nuclei = [i for i, p in enumerate(phonemes) if is_nucleus(p)]
    starts: list[int] = []
    for k, nucleus in enumerate(nuclei):
        if k == 0:
            starts.append(0)
            continue
        between = list(range(nuclei[k - 1] + 1, nucleus))
        if not between:
            starts.append(nucleus)
        elif len(between) == 1:
            starts.append(nucleus if _base(phonemes[between[0]]) == "ŋ" else between[0])
        else:
            starts.append(between[1] if _base(phonemes[between[0]]) in _CODAS else between[0])
    return starts


def _base(phoneme: str) -> str:
    return phoneme.strip(_STRESS)
