"""Hand annotations in the NLU data must not teach Rasa that a shared word means one service.

An annotation whose value differs from its words is a synonym to Rasa's EntitySynonymMapper: once
"[housing fund](provident_fund_withdrawal)" was in the data, every "housing fund" question was tagged
as the withdrawal and the citizen never got the choice between the two fund services.
"""

from __future__ import annotations

import re
from pathlib import Path

from kb import load_knowledge_base

ROOT = Path(__file__).resolve().parents[2]
ANNOTATION = re.compile(r'\[([^\]]+)\]\{"entity": "service", "value": "([a-z_]+)"\}|\[([^\]]+)\]\(service:([a-z_]+)\)')


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def test_no_annotation_maps_words_several_services_share_to_one_of_them():
    kb = load_knowledge_base()
    names = {_norm(n): sid for sid, s in kb.services.items() for n in (s.name, *s.aliases)}
    vague = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        if path.name.startswith("generated"):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            for m in ANNOTATION.finditer(line):
                words, value = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
                if names.get(_norm(words)) == value:
                    continue
                key = f" {_norm(words)} "
                shared = sorted({sid for n, sid in names.items() if key in f" {n} "})
                if len(shared) > 1:
                    vague.append(f"{path.name}: [{words}] -> {value}, but the words fit {shared}")
    assert vague == []


def test_a_known_name_in_the_lookup_is_a_synonym_of_exactly_its_service():
    """The NamedServiceClassifier trusts the generated table: each name belongs to one service."""
    kb = load_knowledge_base()
    owners: dict[str, set[str]] = {}
    for sid, s in kb.services.items():
        for n in (s.name, *s.aliases):
            owners.setdefault(_norm(n), set()).add(sid)
    assert {n: o for n, o in owners.items() if len(o) > 1} == {}
