"""Rank services by how well a free-form request matches their names and descriptions.

The language model recognises the names it was trained on; citizens also say
"my identification card got stolen" or "we're tying the knot". This ranker is
the knowledge base's own fallback: TF-IDF over word stems and character
4-grams of each service's name, aliases, keywords and summary. Chinese has no
spaces between words, so a run of Chinese characters gives its character
bigrams (and, weakly, its characters) instead: "公积金怎么提取" shares 公积, 积金,
提取 with "住房公积金提取" without any word segmenter. Pure Python, because the
knowledge-base package must import cleanly in every environment.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from kb.schema import Service

_STOP = set(
    "a an the i i'm im me my we our you your to of for in on at and or is are be do does did can could would "
    "how what where when which who it this that there here with about need want get got have has had just "
    "please tell know some something thing things any should will from up out".split()
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ies", "es", "s", "ed"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


# Function characters of everyday Chinese requests ("我想问一下怎么办这个"): alone they say nothing about a service.
_STOP_ZH = set("我你他她它们的了吗呢吧啊呀么怎什哪那这个是在有要想能可以和跟都就还也不没去来给把被让请问一下")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def _chinese_features(run: str, feats: Counter) -> None:
    for i in range(len(run) - 1):
        pair = run[i : i + 2]
        if not (pair[0] in _STOP_ZH and pair[1] in _STOP_ZH):
            feats["z:" + pair] += 1
    for ch in run:
        if ch not in _STOP_ZH:
            feats["u:" + ch] += 0.3


def features(text: str) -> Counter:
    feats: Counter = Counter()
    words = []
    for w in re.findall(r"[a-z0-9]+|[\u4e00-\u9fff]+", text.lower()):
        if _CJK_RUN.fullmatch(w):
            _chinese_features(w, feats)
        elif w not in _STOP:
            words.append(w)
    for w in words:
        stem = _stem(w)
        feats["w:" + stem] += 1
        padded = f"<{stem}>"
        for i in range(max(1, len(padded) - 3)):
            feats["c:" + padded[i : i + 4]] += 0.5
    return feats


class ServiceIndex:
    def __init__(self, services: list[Service]):
        docs: dict[str, Counter] = {}
        for s in services:
            doc: Counter = Counter()
            for text, weight in [(s.name, 3), (" ".join(s.aliases), 2), (" ".join(s.keywords), 2), (s.summary, 1)]:
                for f, n in features(text).items():
                    doc[f] += n * weight
            docs[s.id] = doc
        df: Counter = Counter(f for doc in docs.values() for f in doc)
        self._idf = {f: math.log((1 + len(docs)) / (1 + n)) + 1 for f, n in df.items()}
        self._vectors = {sid: self._weigh(doc) for sid, doc in docs.items()}

    def _weigh(self, feats: Counter) -> dict[str, float]:
        vec = {f: (1 + math.log(n)) * self._idf[f] for f, n in feats.items() if f in self._idf and n > 0}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {f: v / norm for f, v in vec.items()}

    def rank(self, text: str, top: int = 5) -> list[tuple[str, float]]:
        query = self._weigh(features(text))
        scores = [(sid, sum(w * vec.get(f, 0.0) for f, w in query.items())) for sid, vec in self._vectors.items()]
        scores.sort(key=lambda x: x[1], reverse=True)
        return [(sid, round(score, 4)) for sid, score in scores[:top]]
