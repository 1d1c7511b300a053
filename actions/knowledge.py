"""The knowledge base as the action server sees it: loaded and validated once per language.

Loading at import time means a broken service file stops the action server at
start-up with the file and field named, rather than failing mid-conversation.
`knowledge_base()` is the English base; `knowledge_base("zh")` the same services
and hall with the Chinese text (kb/overlay.py), for answers in Chinese.
"""

from __future__ import annotations

import logging
from functools import cache

from actions.settings import settings
from kb import KnowledgeBase, load_knowledge_base
from kb.languages import BASE_LANGUAGE, LANG_DIR, enabled_languages

log = logging.getLogger(__name__)


def knowledge_base(lang: str = BASE_LANGUAGE) -> KnowledgeBase:
    """One object per language ("en" and no argument are the same object: resolvers are cached by it)."""
    return _load(lang or BASE_LANGUAGE)


@cache
def _load(lang: str) -> KnowledgeBase:
    return load_knowledge_base(settings().kb_dir, lang=None if lang == BASE_LANGUAGE else lang)


@cache
def answer_languages() -> tuple[str, ...]:
    """The languages the guide answers in: the enabled ones (`LOBBY_LANGUAGES`) this knowledge base has text for.

    A knowledge base without a `lang/<code>/` folder (a centre's own, English-only data under
    LOBBY_KB_DIR) answers in English rather than refusing to start; a folder that is there but
    incomplete stops start-up (actions/__init__.py loads every answer language).
    """
    root = knowledge_base().root
    found = [lang for lang in enabled_languages() if lang == BASE_LANGUAGE or (root / LANG_DIR / lang).is_dir()]
    for lang in set(enabled_languages()) - set(found):
        log.warning(
            "language %r is enabled but %s has no %s/%s/ text: answering in English", lang, root, LANG_DIR, lang
        )
    return tuple(found)
