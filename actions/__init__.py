"""Custom actions for Lobby Guide, served by rasa-sdk (`rasa_sdk --actions actions`).

Actions turn knowledge-base facts into short, speakable replies plus a
machine-readable card; they never import the voice engines or the bridge.
"""

import sys
import warnings

from actions.knowledge import answer_languages, knowledge_base
from actions.settings import settings

# rasa-sdk 3.21 (the newest release for Python 3.11) serves Rasa 3.6 correctly
# over HTTP (verified by tests/dialogue), but warns about the version gap on
# every call; say it once instead of flooding the log.
warnings.filterwarnings("once", message=r".*compatible with this version of rasa_sdk.*")

# Read the settings and validate the knowledge base when the action server starts: a bad
# setting or a broken service file stops start-up with its name, not a confused reply later.
settings().announce()
knowledge_base()
for _lang in answer_languages()[1:]:  # answers in Chinese (actions.language) need the Chinese text too
    knowledge_base(_lang)

# In the action server, start building the semantic retriever now (cached passage embeddings, see
# actions/retriever.py) so the first citizen does not wait for the encoder to load. Other importers
# (benchmarks, tests of one module) build it when they first need it.
if "rasa_sdk.endpoint" in sys.modules:
    from actions.retriever import warm_in_background

    warm_in_background(knowledge_base())
    for _lang in answer_languages()[1:]:
        warm_in_background(knowledge_base(_lang))
