"""The knowledge base as the action server sees it: loaded and validated once.

Loading at import time means a broken service file stops the action server at
start-up with the file and field named, rather than failing mid-conversation.
"""

from __future__ import annotations

from functools import lru_cache

from actions.settings import settings
from kb import KnowledgeBase, load_knowledge_base


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    return load_knowledge_base(settings().kb_dir)
