"""The pages' string tables (avatar_bridge/web/js/strings/<language>.json): one per language, the same keys in
each, no {placeholder} a page does not fill, no Latin word left in the Chinese one, and every key the pages
use is in them, so no screen falls back to English or shows a key's name (issue 15 §4). No browser needed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "avatar_bridge" / "web"
TABLES = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((WEB / "js" / "strings").glob("*.json"))}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# what the pages look up: t.key, t["key"], t[`prefix_${...}`] (a family of keys), data-i18n*="key"
USES = re.compile(
    r"""\bt\.([A-Za-z_]\w*)|\bt\[["'](\w+)["']\]|data-i18n(?:-\w+)?=["'](\w+)["']|\.i18n\w* = ["'](\w+)["']"""
)
FAMILIES = re.compile(r"""\bt\[`(\w+)_\$\{""")


def test_the_guide_offers_english_and_chinese_tables():
    assert {"en", "zh"} <= set(TABLES)


@pytest.mark.parametrize("language", sorted(set(TABLES) - {"en"}))
def test_every_key_exists_in_both_languages_with_placeholders_the_page_fills(language):
    english, other = TABLES["en"], TABLES[language]
    assert sorted(set(english) - set(other)) == [], f"missing in {language}.json"
    assert sorted(set(other) - set(english)) == [], f"in {language}.json but not in en.json"
    for key, text in english.items():
        assert isinstance(other[key], str) and (other[key].strip() or not text.strip()), f"{language}.{key} is empty"
        # a translation may leave a value out ("{amount}元" says the currency), never invent one the page lacks
        assert set(PLACEHOLDER.findall(other[key])) <= set(PLACEHOLDER.findall(text)), f"{language}.{key} placeholders"
        assert PLACEHOLDER.findall(other[key]) or not PLACEHOLDER.findall(text), f"{language}.{key} drops every value"


def test_the_chinese_table_has_no_latin_words():
    latin = {key: text for key, text in TABLES["zh"].items() if re.search(r"[A-Za-z]", PLACEHOLDER.sub("", text))}
    assert latin == {}


def test_every_string_the_pages_use_is_in_the_tables():
    used: set[str] = set()
    families: set[str] = set()
    sources = [*WEB.glob("*.html"), *WEB.glob("js/*.js")]
    for source in sources:
        text = source.read_text(encoding="utf-8")
        used |= {next(g for g in match.groups() if g) for match in USES.finditer(text)}
        families |= set(FAMILIES.findall(text))
    assert len(used) > 60 and {"placeholder", "materials", "checkinHint", "zoneNamed"} <= used, sorted(used)
    for language, table in TABLES.items():
        assert sorted(used - set(table)) == [], f"keys the pages use that {language}.json lacks"
        for family in families:  # t[`error_${code}`], t[`side_${side}`]: at least one member in every table
            assert any(key.startswith(f"{family}_") for key in table), f"{language} has no {family}_… strings"
