"""The guard that keeps the held-out splits out of everything the guide learns from.

Compared text is normalised (annotations removed, lower case, punctuation -> space, spaces collapsed), so
"id-card" and "id card" are the same phrase. Every example the guide learns from counts as training data:
the intent examples of every file under data/nlu, and the knowledge base's `situations`, which the service
retriever learns from. A service's names (`name`, `aliases`, and the entity synonyms exported from them) are
not examples but facts the guide states, so a citizen who says just "hukou transfer" is not a leak.
A near-duplicate is a pair with character similarity >= 0.9.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import yaml

from scoring.splits import ROOT, strip_annotations

NEAR_DUPLICATE = 0.9


def normalise(text: str) -> str:
    text = strip_annotations(text).lower()
    text = re.sub(r"[^\w\u4e00-\u9fff]+", " ", text)
    return " ".join(text.split())


def _nlu_examples(path: Path) -> Iterable[str]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for block in doc.get("nlu") or []:
        if "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield line[2:]


def training_phrases(root: Path = ROOT) -> dict[str, str]:
    """Normalised phrase -> where it comes from, for every file the guide learns from."""
    phrases: dict[str, str] = {}
    for path in sorted((root / "data" / "nlu").rglob("*.yml")):
        for raw in _nlu_examples(path):
            phrases.setdefault(normalise(raw), str(path.relative_to(root)))
    service_files = sorted((root / "data" / "services").glob("*.yml"))
    service_files += sorted((root / "data" / "lang").glob("*/services/*.yml"))  # other languages' situations
    for path in service_files:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for raw in doc.get("situations") or []:
            phrases.setdefault(normalise(str(raw)), f"{path.relative_to(root)}:situations")
    phrases.pop("", None)
    return phrases


@dataclass(frozen=True)
class Overlap:
    held_out: str
    training: str
    where: str
    similarity: float


def overlaps(held_out: Iterable[str], training: dict[str, str], threshold: float = NEAR_DUPLICATE) -> list[Overlap]:
    """Held-out phrases equal or near-equal to a training phrase (cheap length bound before difflib)."""
    found = []
    train = list(training.items())
    for text in held_out:
        a = normalise(text)
        if not a:
            continue
        if a in training:
            found.append(Overlap(text, a, training[a], 1.0))
            continue
        matcher = SequenceMatcher(None, a, autojunk=False)
        best: Overlap | None = None
        for b, where in train:
            if 2 * min(len(a), len(b)) / (len(a) + len(b)) < threshold:
                continue  # ratio = 2M/(|a|+|b|) can never reach the threshold
            matcher.set_seq2(b)
            if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                continue
            r = matcher.ratio()
            if r >= threshold and (best is None or r > best.similarity):
                best = Overlap(text, b, where, round(r, 3))
        if best:
            found.append(best)
    return found
