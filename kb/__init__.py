"""Service knowledge base: schema, loader and lookups shared by every service.

Kept to two dependencies (pydantic 2, PyYAML) because the action server, the
avatar bridge, the voice engines and the trainer each import it from their own
environment.
"""

from kb.loader import DEFAULT_DATA_DIR, KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from kb.schema import Hall, Material, Service

__all__ = [
    "DEFAULT_DATA_DIR",
    "Hall",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Material",
    "Service",
    "load_knowledge_base",
]
