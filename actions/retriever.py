"""Semantic retrieval of services: which service a citizen's own words are about.

Citizens describe their lives ("my dad passed away", "I got laid off"), not the
names of services. The retriever embeds every service's name, aliases,
summary, eligibility lines and `situations` (knowledge-base passages) with the
shared sentence encoder (multilingual-e5-small, see sentence_encoder/) and
scores a question by its best-matching passage per service.

Passage embeddings depend only on the knowledge-base text and the weights, so
they are cached on disk under var/ keyed by a fingerprint of both: the action
server starts in well under a second when nothing changed, and a centre that
edits a service file gets fresh embeddings on the next start without any step
of its own. Without the encoder (weights not assembled) the retriever reports
itself unavailable and resolution falls back to lexical evidence, with the
reason in the log: an understanding that is worse is better than no answer.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb import KnowledgeBase

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
CACHE_VERSION = "1"
RECENT_QUERIES = 512


@dataclass(frozen=True)
class Passage:
    service_id: str
    kind: str  # name | aliases | summary | eligibility | situation
    text: str


def passages(kb: KnowledgeBase) -> list[Passage]:
    """Everything a citizen's question may be compared with, one sentence-sized text each."""
    out: list[Passage] = []
    for s in kb.services.values():
        out.append(Passage(s.id, "name", s.name))
        if s.aliases:
            out.append(Passage(s.id, "aliases", f"{s.name}: " + ", ".join(s.aliases)))
        out.append(Passage(s.id, "summary", f"{s.name}. {' '.join(s.summary.split())}"))
        for line in s.eligibility or []:
            out.append(Passage(s.id, "eligibility", f"{s.name}: {line}"))
        for situation in s.situations:
            out.append(Passage(s.id, "situation", situation))
    return out


def cache_dir() -> Path:
    return Path(os.environ.get("LOBBY_ENCODER_CACHE", ROOT / "var" / "encoder-cache"))


class ServiceRetriever:
    """Cosine similarity between a question and each service's best passage."""

    def __init__(self, kb: KnowledgeBase, encoder: object | None = None, cache: Path | None = None) -> None:
        started = time.monotonic()
        self.passages = passages(kb)
        self.service_ids = list(kb.services)
        self._service_index = np.array([self.service_ids.index(p.service_id) for p in self.passages])
        if encoder is None:
            from sentence_encoder import SentenceEncoder

            encoder = SentenceEncoder(num_threads=1)
        self.encoder = encoder
        # One turn may resolve the same words twice (the fallback's check, then the answer), and citizens
        # repeat themselves: recent query vectors are kept (a vector is 1.5 KB).
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.fingerprint = self._fingerprint()
        self.matrix, self.from_cache = self._load_or_embed(cache or cache_dir())
        self.startup_s = time.monotonic() - started
        log.info(
            "semantic retriever ready: %d passages for %d services in %.2f s (%s)",
            len(self.passages),
            len(self.service_ids),
            self.startup_s,
            "cached embeddings" if self.from_cache else "embedded now",
        )

    def _fingerprint(self) -> str:
        h = hashlib.sha256(CACHE_VERSION.encode())
        weights = getattr(self.encoder, "path", None)
        if weights is not None and Path(weights).exists():
            st = Path(weights).stat()
            h.update(f"{Path(weights).name}:{st.st_size}".encode())
        for p in self.passages:
            h.update(f"\x00{p.service_id}\x01{p.kind}\x01{p.text}".encode())
        return h.hexdigest()[:16]

    def _load_or_embed(self, folder: Path) -> tuple[np.ndarray, bool]:
        path = folder / f"kb-{self.fingerprint}.npy"
        if path.exists():
            try:
                matrix = np.load(path)
                if matrix.shape[0] == len(self.passages):
                    return matrix.astype(np.float32), True
            except (OSError, ValueError) as exc:
                log.warning("encoder cache %s unreadable (%s); embedding again", path, exc)
        matrix = np.asarray(self.encoder.passage([p.text for p in self.passages]), dtype=np.float32)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, matrix)
            tmp.replace(path)
        except OSError as exc:  # a read-only install still works, it just embeds at each start
            log.warning("could not write the encoder cache %s: %s", path, exc)
        return matrix, False

    def embed(self, text: str) -> np.ndarray:
        with self._lock:
            hit = self._recent.get(text)
            if hit is not None:
                self._recent.move_to_end(text)
                return hit
        vector = np.asarray(self.encoder.query(text), dtype=np.float32).reshape(-1)
        with self._lock:
            self._recent[text] = vector
            while len(self._recent) > RECENT_QUERIES:
                self._recent.popitem(last=False)
        return vector

    def passage_scores(self, query: np.ndarray) -> np.ndarray:
        return self.matrix @ query

    def scores(self, text: str, *, exclude: set[int] | None = None) -> dict[str, float]:
        """Best passage similarity per service (exclude: passage indices to ignore, for leave-one-out)."""
        return self.scores_for(self.embed(text), exclude=exclude)

    def scores_for(self, query: np.ndarray, *, exclude: set[int] | None = None) -> dict[str, float]:
        sims = self.passage_scores(query)
        if exclude:
            sims = sims.copy()
            sims[list(exclude)] = -1.0
        best = np.full(len(self.service_ids), -1.0, dtype=np.float32)
        np.maximum.at(best, self._service_index, sims)
        return {sid: float(best[i]) for i, sid in enumerate(self.service_ids)}


_lock = threading.Lock()
_retrievers: dict[int, ServiceRetriever | None] = {}


def retriever_for(kb: KnowledgeBase) -> ServiceRetriever | None:
    """The retriever for this knowledge base, built once; None when the encoder is unavailable."""
    key = id(kb)
    with _lock:
        if key not in _retrievers:
            if os.environ.get("LOBBY_SEMANTIC", "1") == "0":
                log.warning("semantic retrieval is switched off (LOBBY_SEMANTIC=0); lexical evidence only")
                _retrievers[key] = None
            else:
                try:
                    _retrievers[key] = ServiceRetriever(kb)
                except Exception as exc:  # noqa: BLE001 - any failure must leave the guide answering
                    log.error("semantic retrieval unavailable, using lexical evidence only: %s", exc)
                    _retrievers[key] = None
        return _retrievers[key]


def warm_in_background(kb: KnowledgeBase) -> threading.Thread:
    """Build the retriever without holding up start-up; turns that need it wait for it.

    Embedding the whole knowledge base takes seconds on an idle core (a minute on a
    loaded one) when the cache is cold; the action server should report healthy and
    answer named services meanwhile.
    """
    thread = threading.Thread(target=retriever_for, args=(kb,), name="retriever-warm-up", daemon=True)
    thread.start()
    return thread


def main() -> int:
    """`python -m actions.retriever`: embed the knowledge base into the cache now (set-up, after KB edits)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from kb import load_knowledge_base

    retriever = ServiceRetriever(load_knowledge_base())
    print(f"encoder cache ready: {cache_dir()}/kb-{retriever.fingerprint}.npy ({len(retriever.passages)} passages)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
