"""IPA phonemes with durations -> Oculus/Meta 15-viseme timeline.

The avatar's face rig has blend shapes for the Oculus viseme set
(`sil PP FF TH DD kk CH SS nn RR aa E I O U`). Both TTS engines report IPA
(Piper one code point per symbol, espeak-ng short clusters such as "tʃ" or
"ˈoʊ"), so one table maps every symbol either to a viseme or to a modifier:
stress marks lend their time to the next sound, length marks and diacritics to
the previous one, because they are not mouth shapes of their own. Short
pauses between words are shared out to the neighbouring sounds, since a mouth
that snaps shut between every word looks like a puppet; pauses of 70 ms or
more show as `sil`.

The table is the documented mapping (docs/voice.md); a test checks that every
symbol the Piper voice can produce is in it.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass

_LOG = logging.getLogger(__name__)

VISEMES: tuple[str, ...] = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "I", "O", "U")

# Symbols that make a mouth shape. ASCII letters are IPA here ("g" may be ASCII or "ɡ").
_TABLE: dict[str, str] = {}
for _viseme, _symbols in {
    "PP": "pbmɓʙɸβʘ",
    "FF": "fvɱʋⱱ",
    "TH": "θð",
    "DD": "tdɗɖʈɾǀǁǂǃ",
    "kk": "kgɡŋqɢɠʛxɣχħʕhɦʜʢʡʔcɟʄɴɰ",
    "CH": "ʃʒɕʑʂʐçʝɧ",
    "SS": "szɬɮ",
    "nn": "nlɲɳɫɭʎʟɺ",
    "RR": "rɹɻʀʁɽɚɝ",
    "aa": "aɑɐæʌɶ",
    "E": "eɛəɜɘɤœεɞ",
    "I": "iɪjɨɯᵻ",
    "O": "oɔɒøɵ",
    "U": "uʊwʍɥyʏʉ",
}.items():
    for _symbol in _symbols:
        _TABLE[_symbol] = _viseme

# Pauses: word gaps, punctuation, Piper's sentence start/end and padding symbols.
PAUSE_SYMBOLS = frozenset(" !\"#$'(),-.:;?^_…—–")
# Attach to the following sound (stress).
PREFIX_MODIFIERS = frozenset("ˈˌ")
# Attach to the preceding sound: length, palatalisation, aspiration, nasalisation, tones...
SUFFIX_MODIFIERS = frozenset("ːˑʰʲˤ˞ʼ↓↑ˀ0123456789") | frozenset(
    chr(c)
    for c in range(0x0300, 0x0370)  # combining diacritics
)
# Affricates read better as one CH shape than as a DD flash followed by CH.
_AFFRICATES = {("t", "ʃ"), ("d", "ʒ"), ("t", "ɕ"), ("d", "ʑ"), ("t", "ʂ"), ("d", "ʐ")}
MIN_PAUSE_S = 0.07


def symbol_class(symbol: str) -> str:
    """ "pause", "prefix", "suffix", or the viseme of a sound symbol; KeyError if unknown."""
    if symbol in PAUSE_SYMBOLS or symbol.isspace():
        return "pause"
    if symbol in PREFIX_MODIFIERS:
        return "prefix"
    if symbol in SUFFIX_MODIFIERS or unicodedata.combining(symbol):
        return "suffix"
    return _TABLE[symbol.lower()] if symbol.isascii() else _TABLE[symbol]


def viseme_for(symbol: str) -> str:
    """Viseme of one IPA symbol; pauses and lone modifiers give "sil"."""
    kind = symbol_class(symbol)
    return kind if kind in VISEMES else "sil"


def is_mapped(symbol: str) -> bool:
    try:
        symbol_class(symbol)
    except KeyError:
        return False
    return True


@dataclass(frozen=True)
class TimedSymbol:
    """One phoneme-level unit with its span in samples (end exclusive)."""

    symbol: str
    start: int
    end: int
    viseme: str


def merge_symbols(symbols: list[tuple[str, int]], sample_rate: int, strict: bool = True) -> list[TimedSymbol]:
    """(symbol, samples) in order -> sounds and pauses with absolute sample spans.

    Modifier time is moved onto the sound it modifies, short pauses are shared
    by their neighbours, and unknown symbols raise KeyError so a new voice with
    new symbols fails loudly in tests instead of freezing the mouth. With
    `strict=False` (engines at run time) an unknown symbol is logged and
    treated as a length mark of the sound before it.
    """
    units: list[list] = []  # [symbol, samples, viseme]
    pending = 0  # samples of prefix modifiers waiting for their sound
    for index, (symbol, samples) in enumerate(symbols):
        try:
            kind = symbol_class(symbol)
        except KeyError:
            if strict:
                raise
            _LOG.warning("no viseme for phoneme symbol %r; treating it as part of the previous sound", symbol)
            kind = "suffix"
        if kind == "prefix":
            pending += samples
        elif kind == "suffix":
            if units and units[-1][2] != "sil":
                units[-1][0] += symbol
                units[-1][1] += samples
            else:
                pending += samples
        elif kind == "pause":
            if units and units[-1][2] == "sil":
                units[-1][1] += samples + pending
            else:
                units.append([symbol, samples + pending, "sil"])
            pending = 0
        else:
            nxt = symbols[index + 1][0] if index + 1 < len(symbols) else ""
            viseme = "CH" if (symbol, nxt) in _AFFRICATES else kind
            units.append([symbol, samples + pending, viseme])
            pending = 0
    if pending:
        if units:
            units[-1][1] += pending
        else:
            units.append(["", pending, "sil"])

    min_pause = int(MIN_PAUSE_S * sample_rate)
    for i, unit in enumerate(units):
        if unit[2] != "sil" or unit[1] >= min_pause or i == 0 or i == len(units) - 1:
            continue
        prev, nxt = units[i - 1], units[i + 1]
        if prev[2] == "sil" or nxt[2] == "sil":
            continue
        half = unit[1] // 2
        prev[1] += half
        nxt[1] += unit[1] - half
        unit[1] = 0

    timed: list[TimedSymbol] = []
    cursor = 0
    for symbol, samples, viseme in units:
        if samples <= 0:
            continue
        timed.append(TimedSymbol(symbol, cursor, cursor + samples, viseme))
        cursor += samples
    return timed
