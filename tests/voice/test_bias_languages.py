"""The recogniser is primed with the knowledge base's names in the language it listens for.

A Mandarin turn gets the Chinese official service names (written in characters) in its prompt, so Whisper
writes 社会保障卡 rather than a homophone; an English turn keeps the Latin-script names only.
"""

from __future__ import annotations

import re

from kb import load_knowledge_base
from voice.bias import build_biasing, knowledge_base_terms

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_a_mandarin_prompt_lists_chinese_official_service_names():
    terms, names = knowledge_base_terms()
    prompt = build_biasing(terms, language="zh", preferred=names).initial_prompt
    official = [s.name for s in load_knowledge_base(lang="zh").services.values()]
    listed = [n for n in official if n in prompt]
    assert len(listed) >= 12, prompt
    assert prompt.startswith("以下是普通话的句子。")


def test_an_english_prompt_has_no_chinese_characters():
    terms, names = knowledge_base_terms()
    prompt = build_biasing(terms, language="en", preferred=names).initial_prompt
    assert prompt and not CJK.search(prompt)
    assert "hukou" in prompt
