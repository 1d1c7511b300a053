"""Decide which service a turn is about: answer, offer a choice, or ask.

Evidence, strongest first:
1. an explicit name or alias of a service in the words (or a button payload);
2. an answer to a choice the guide just offered ("the second", "the housing
   one", "withdrawal"), resolved against those choices only, so a question
   about transfers stays about transfers;
3. the conversation's current service, for follow-ups ("and can I do it
   online?") that bring no evidence of another service;
4. the combined score of the semantic retriever (citizen's words against the
   knowledge base's names, aliases, summaries, eligibility and situations) and
   the knowledge base's TF-IDF ranker.

Decision rule on the combined score (calibrated by leave-one-out over the
knowledge base's `situations` and on the service-annotated training examples
of data/nlu, never on a test split; see docs/knowledge-base.md):
- answer when the best service reaches ANSWER_MIN and leads the runner-up by
  ANSWER_MARGIN;
- offer a choice of the two or three services within CHOICE_MARGIN of the best
  when the best reaches CHOICE_MIN;
- otherwise ask which service (or keep the current one for a follow-up).
Two services a citizen could confuse are never answered silently unless one
is clearly ahead: that is exactly what the margin is for.

This module is pure (no rasa_sdk), so it can be tested and benchmarked alone.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import numpy as np

from actions.spelling import Speller
from kb import KnowledgeBase

# Combined score = z-score of the semantic similarity across services
# + TFIDF_WEIGHT * TF-IDF cosine + ENTITY_BONUS if the NLU tagged the service.
TFIDF_WEIGHT = 2.0
ENTITY_BONUS = 1.0
ANSWER_MIN = 2.25  # below ~2.25 the margin alone decides (sweep in docs/knowledge-base.md)
ANSWER_MARGIN = 0.75
# Per knowledge-base language. Chinese scores are closer together (character bigrams share more across
# services than English words do): at 0.75, leave-one-out over the Chinese situations named a wrong
# service for 5.1 % (English 3.0 %); at 1.0, 1.9 %, the rest becoming choices (docs/knowledge-base.md).
ANSWER_MARGIN_BY_LANG = {"zh": 1.0}
CHOICE_MIN = 2.0
CHOICE_MARGIN = 1.5
MAX_CHOICES = 3
# When the words include a vague keyword several services share ("permit", "transfer"), the rest of the
# sentence must put one of them ahead by the ordinary answer margin before it is answered without asking:
# "a permit for my pet dragon" is not a residence permit question. It was a choice's whole width (1.5) while
# each service had ~12 situations; with ~40 per service (2026-12-03) the lead is reliable sooner: at the answer
# margin, leave-one-out wrong answers 1.4 -> 1.7 %, right answers on the development set 0.876 -> 0.930
# (docs/knowledge-base.md).
KEYWORD_ANSWER_MARGIN_FACTOR = 1.0  # x the language's answer margin
# A name or alias the knowledge base itself uses to describe other services ("hukou" in the after-death
# bundle's "cancelling the hukou", in the residence permit's "without hukou") is evidence, not a decision:
# "grandma died, do we cancel her hukou?" is about the after-death bundle. Such a mention adds this much to
# its service's combined score, and the ordinary decision rule answers, offers a choice or asks.
SHARED_NAME_BONUS = 1.0
# A misspelled name counts only over a window of at least this many characters (see _misspelled_names).
MISSPELLED_MIN_CHARS = 10
MISSPELLED_MIN_RATIO = 0.9
# Up to this many words, an ask_service/inform turn after a choice is read as an answer to it.
SHORT_ANSWER_WORDS = 4
# Semantic per-service score: mean of the service's best SEM_TOP passages.
SEM_TOP = 3
# The combined score is relative (z-scored across services), so words about nothing the hall does ("the
# weather is nice today") still put some service ahead. Below this cosine similarity to every passage of the
# knowledge base, with no lexical evidence either, the guide asks instead of offering a choice. Calibrated on
# training data only: 0.7 % of the service-annotated examples and development questions fall below 0.835,
# 48 % of the hall and chit-chat examples do (multilingual-e5-small similarities are compressed, so this is a
# backstop behind the intent model, not a detector). Chinese similarities run higher (docs/knowledge-base.md).
SEM_FLOOR = 0.835
SEM_FLOOR_BY_LANG = {"zh": 0.86}
# Lexical evidence that counts as "near" on its own (TF-IDF cosine; stray shared words score ~0.1).
TFIDF_NEAR = 0.2

FOLLOW_UP_INTENTS = {
    "ask_materials",
    "ask_steps",
    "ask_processing_time",
    "ask_fee",
    "ask_online",
    "ask_eligibility",
    "ask_cross_province",
    "find_window",
    "queue_ticket",
    "book_appointment",
}

# Words that name the topic of a follow-up, not a service ("can I do it in another province?"
# is about the current service even though "province" is a keyword of cross-province medical care).
TOPIC_WORDS = set(
    "province provinces provincial another online internet app phone cost costs fee fees price pay money long time "
    "take takes days where window counter floor bring documents papers materials steps apply eligible qualify".split()
)

ORDINALS = {
    "first": 0,
    "1st": 0,
    "one": 0,
    "top": 0,
    "second": 1,
    "2nd": 1,
    "two": 1,
    "middle": 1,
    "third": 2,
    "3rd": 2,
    "three": 2,
    "last": -1,
    "bottom": -1,
}
_FILLER = set(
    "a an the i i'm im me my we our you your to of for in on at and or is are be do does did can could would "
    "how what where when which who it it's its this that there here with about need want get got have has had just "
    "please tell know some something thing things any should will from up out no not yes sorry oh um uh well "
    "actually meant mean one ones option choice instead rather other another said say wanted thanks ok okay "
    "number".split()
)


# Chinese answers to a choice: "第二个", "选第1项", "最后那个".
_ZH_ORDINAL = re.compile(r"第\s*([一二三四五1-5])\s*[个項项种条]?|最后(?:一个|那个|一项|那项)?")
_CJK_PAIR = re.compile(r"(?=([\u4e00-\u9fff]{2}))")


def _cjk_bigrams(text: str) -> set[str]:
    return set(_CJK_PAIR.findall(text))


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9\u4e00-\u9fff]+", text.lower())


def _stem(word: str) -> str:
    for suffix in ("ing", "als", "al", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@dataclass
class Resolution:
    service_id: str | None
    choices: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)  # ranked, for "not that, the other one"
    how: str = "none"
    scores: dict[str, float] = field(default_factory=dict)


class Resolver:
    """Service resolution for one knowledge base; the retriever is optional (lexical only without it)."""

    def __init__(self, kb: KnowledgeBase, retriever: object | None = None, speller: Speller | None = None) -> None:
        self.kb = kb
        self.retriever = retriever
        self.speller = speller
        self.answer_margin = ANSWER_MARGIN_BY_LANG.get(getattr(kb, "lang", "en"), ANSWER_MARGIN)
        self.sem_floor = SEM_FLOOR_BY_LANG.get(getattr(kb, "lang", "en"), SEM_FLOOR)
        self._vocab = {sid: self._service_words(sid) for sid in kb.services}
        # Chinese has no spaces: an answer like "提取那个" is matched on the character pairs of the names.
        self._bigrams = {
            sid: set().union(*(_cjk_bigrams(n) for n in (s.name, *s.aliases, *s.keywords)))
            for sid, s in kb.services.items()
        }
        self._shared_names = self._names_used_elsewhere()
        self._multiword_names = [
            (" ".join(words(n)), s.id) for s in kb.services.values() for n in (s.name, *s.aliases) if len(words(n)) >= 2
        ]

    def _service_words(self, service_id: str) -> set[str]:
        s = self.kb.services[service_id]
        texts = [s.name, *s.aliases, *s.keywords, s.id.replace("_", " ")]
        return {_stem(w) for t in texts for w in words(t) if w not in _FILLER}

    def _names_used_elsewhere(self) -> dict[str, dict[str, set[str]]]:
        """Service id -> {its name or alias -> the other services whose own descriptions use it}."""
        described = {
            s.id: " | ".join(" ".join(words(t)) for t in (s.summary, *s.situations, *(s.eligibility or [])))
            for s in self.kb.services.values()
        }
        shared: dict[str, dict[str, set[str]]] = {}
        for s in self.kb.services.values():
            for name in {" ".join(words(n)) for n in (s.name, *s.aliases)} - {""}:
                users = {o for o, text in described.items() if o != s.id and f" {name} " in f" {text} "}
                if users:
                    shared.setdefault(s.id, {})[name] = users
        return shared

    def _weigh_shared_name(
        self, text: str, intent: str, entity_services: list[str], current: str | None, named: str
    ) -> Resolution:
        """A name other services use in passing, weighed against the rest of the sentence.

        First the sentence without the name (which would otherwise pull every passage that mentions it):
        when that alone, plus the name's bonus, puts one service clearly ahead, it is the answer ("grandma
        died, do we cancel her hukou?"). When the rest says little ("how do I transfer my hukou?" leaves
        a vague "transfer"), the whole sentence decides, the name counted once.
        """
        rest = self._without_names(text, named)
        if rest:
            decided = self._decide(rest, intent, set(entity_services), current, named_bonus=named, how="shared_name")
            # Without the name, the rest may only hand the question to a service whose own description uses
            # it: "the residence permit" said by a renter is not a housing-fund question because "rent" is.
            users = set().union(*self._shared_names.get(named, {}).values())
            if decided.service_id in users | {named}:
                return decided
        return self._decide(text, intent, set(entity_services), current, named_bonus=named, how="shared_name")

    def _without_names(self, text: str, service_id: str) -> str:
        s = self.kb.services[service_id]
        plain = " " + " ".join(words(text)) + " "
        for name in sorted({" ".join(words(n)) for n in (s.name, *s.aliases)} - {""}, key=len, reverse=True):
            plain = plain.replace(f" {name} ", " ")
        return " ".join(plain.split())

    def _named_only_in_passing(self, text: str, service_id: str) -> set[str]:
        """The services that also use the name, when the only names of `service_id` in the text are shared."""
        s = self.kb.services[service_id]
        plain = " " + " ".join(words(text)) + " "
        said = {n for n in {" ".join(words(n)) for n in (s.name, *s.aliases)} - {""} if f" {n} " in plain}
        shared = self._shared_names.get(service_id, {})
        if not said or not said <= set(shared):
            return set()
        return set().union(*(shared[n] for n in said))

    def _misspelled_names(self, text: str) -> list[str]:
        """Services whose name or alias the text spells wrongly ("socail security crad"), best match first.

        Each name of two words or more is compared with the windows of the text that have as many words,
        at MISSPELLED_MIN_RATIO: a window with one wrong word in it ("housing fund to" for "housing fund
        transfer") is a different name, not a misspelling. Single words are left out: "card" or "permit",
        misspelled or not, names nothing for sure.
        """
        ws = words(text)
        hits: list[tuple[float, str]] = []
        for name, sid in self._multiword_names:
            n = len(name.split())
            for i in range(len(ws) - n + 1):
                window = " ".join(ws[i : i + n])
                if len(window) < MISSPELLED_MIN_CHARS:
                    continue
                ratio = difflib.SequenceMatcher(None, window, name).ratio()
                if ratio >= MISSPELLED_MIN_RATIO:
                    hits.append((ratio, sid))
        found: list[str] = []
        for _, sid in sorted(hits, reverse=True):
            if sid not in found:
                found.append(sid)
        return found

    # --- evidence -------------------------------------------------------------------------

    def combined(
        self, text: str, entity_services: set[str] | None = None, named_bonus: str | None = None
    ) -> dict[str, float]:
        """Combined semantic + lexical score per service (z-scored, comparable across questions)."""
        return self._evidence(text, entity_services, named_bonus)[0]

    def _evidence(
        self, text: str, entity_services: set[str] | None = None, named_bonus: str | None = None
    ) -> tuple[dict[str, float], bool]:
        """The combined scores, and whether anything in the knowledge base is near the words at all."""
        sids = list(self.kb.services)
        tfidf = dict(self.kb.rank(text, top=len(sids)))
        entity_services = entity_services or set()
        near = bool(entity_services or named_bonus or max(tfidf.values(), default=0.0) >= TFIDF_NEAR)
        if self.retriever is not None:
            sims = self.retriever.passage_scores(self.retriever.embed(text))
            near = near or float(sims.max()) >= self.sem_floor
            sem = np.array(
                [
                    np.sort(sims[self.retriever._service_index == j])[::-1][:SEM_TOP].mean()
                    for j in range(len(self.retriever.service_ids))
                ]
            )
            z = (sem - sem.mean()) / max(float(sem.std()), 1e-6)
            sem_by = dict(zip(self.retriever.service_ids, z.tolist(), strict=True))
        else:  # lexical only: scale TF-IDF so the same thresholds stay meaningful
            vals = np.array([tfidf[s] for s in sids])
            z = (vals - vals.mean()) / max(float(vals.std()), 1e-6)
            sem_by = dict(zip(sids, z.tolist(), strict=True))
        scores = {
            s: sem_by.get(s, 0.0)
            + TFIDF_WEIGHT * tfidf.get(s, 0.0)
            + (ENTITY_BONUS if s in entity_services else 0.0)
            + (SHARED_NAME_BONUS if s == named_bonus else 0.0)
            for s in sids
        }
        return scores, near

    def pick_from(self, text: str, options: list[str]) -> str | None:
        """Which of the offered options a short answer means ("the second", "the housing one")."""
        if not options:
            return None
        ordinal = _ZH_ORDINAL.search(text)
        if ordinal:
            digit = ordinal.group(1)
            i = -1 if digit is None else ("一二三四五".find(digit) if digit in "一二三四五" else int(digit) - 1)
            if -len(options) <= i < len(options):
                return options[i]
        grams = _cjk_bigrams(text)
        if grams:
            overlap = {sid: len(grams & self._bigrams[sid]) for sid in options}
            best = max(overlap.values())
            winners = [sid for sid, n in overlap.items() if n == best]
            if best > 0 and len(winners) == 1:
                return winners[0]
        ws = words(text)
        for w in ws:
            if w in ORDINALS:
                i = ORDINALS[w]
                if w in {"one", "two", "three"} and not ({"number", "option"} & set(ws)) and len(ws) > 2:
                    continue  # "the housing one" is not the first option
                if -len(options) <= i < len(options):
                    return options[i]
        content = {_stem(w) for w in ws if w not in _FILLER and w not in ORDINALS}
        if not content:
            return None
        overlap = {sid: len(content & self._vocab[sid]) for sid in options}
        best = max(overlap.values())
        winners = [sid for sid, n in overlap.items() if n == best]
        if best > 0 and len(winners) == 1:
            return winners[0]
        return None

    # --- the decision ---------------------------------------------------------------------

    def resolve(
        self,
        text: str,
        intent: str = "ask_service",
        entity_services: list[str] | None = None,
        current: str | None = None,
        offered: list[str] | None = None,
        previous_candidates: list[str] | None = None,
        named: list[str] | None = None,
    ) -> Resolution:
        kb = self.kb
        current = current if current in kb.services else None
        offered = [s for s in offered or [] if s in kb.services]
        previous_candidates = [s for s in previous_candidates or [] if s in kb.services]
        entity_services = [s for s in entity_services or [] if s in kb.services]
        is_payload = text.startswith("/")
        if is_payload:
            text = ""
            if entity_services:
                return Resolution(entity_services[0], how="payload")
        elif self.speller is not None:
            text = self.speller.correct(text)  # "paspport renewel" is about the passport (actions/spelling.py)
        mentioned = kb.find_in_text(text) if text else []
        if not mentioned and text and intent not in {"choose_option", "correct_service"}:
            misspelled = self._misspelled_names(text)
            if misspelled and len(words(text)) > 1:
                # A misspelled name is strong evidence, not a decision ("social insurance record" is one
                # letter from an alias of the card): it adds SHARED_NAME_BONUS and the rule decides.
                return self._decide(text, intent, set(entity_services), current, named_bonus=misspelled[0])
        if len(mentioned) == 1:
            only = mentioned[0]
            users = self._named_only_in_passing(text, only)
            if users and intent not in {"correct_service", "choose_option"} and len(words(text)) > SHORT_ANSWER_WORDS:
                # Weigh the name against what the rest of the sentence means (see SHARED_NAME_BONUS); the
                # current service holds only if its own description uses the name ("cancel the hukou too?").
                keep = current if current in users else None
                # The model's tag on the same words is the same evidence as the name: counted once.
                entity_services = [s for s in entity_services if s != only]
                return self._weigh_shared_name(text, intent, entity_services, keep, only)
            return Resolution(only, candidates=mentioned, how="explicit")
        if len(mentioned) > 1:
            # "not the pension transfer, the pension check": the correction names both;
            # the one said last is meant. Otherwise let the scores pick among the named ones.
            if intent == "correct_service":
                last = max(mentioned, key=lambda s: self._last_position(text, s))
                return Resolution(last, candidates=mentioned, how="explicit")
            return self._decide(text, intent, set(entity_services), current, restrict=mentioned, how="explicit")

        # Answers to a choice just offered, and corrections: resolved against what was on the table.
        # A short answer ("pension", "the housing one") picks from the choice; a whole new question
        # that happens to share a word with an option ("my retired mum's pension check") does not.
        short = len(words(text)) <= SHORT_ANSWER_WORDS
        if offered and short and intent not in {"choose_option", "correct_service"}:
            # Whatever the language model read into two words ("the transfer" as a fee question), a short
            # reply right after a choice is first an answer to that choice.
            picked = self.pick_from(text, offered)
            if picked:
                return Resolution(picked, candidates=offered, how="offered")
        if intent in {"choose_option", "correct_service"} or (intent in {"inform", "ask_service"} and short):
            pool = offered or []
            if intent == "correct_service" and not pool:
                pool = [s for s in previous_candidates if s != current]
            picked = self.pick_from(text, pool)
            if picked:
                return Resolution(picked, candidates=pool, how="offered")
            if intent == "correct_service" and current:
                # "sorry, I meant the transfer" after the withdrawal: the sibling services of the current one.
                family = [s for s in kb.services if s != current and len(self._vocab[s] & self._vocab[current]) >= 2]
                picked = self.pick_from(text, family)
                if picked:
                    return Resolution(picked, candidates=[picked, current], how="correction")
            if intent == "correct_service":
                others = [s for s in (offered or previous_candidates) if s != current]
                if re.search(r"\b(other|another|different|wrong)\b", text.lower()):
                    if len(others) == 1:
                        return Resolution(others[0], candidates=others, how="other")
                    if others:
                        return Resolution(None, choices=others[:MAX_CHOICES], candidates=others, how="other")
                    return Resolution(None, how="ask")
            if intent == "choose_option" and pool:
                return Resolution(None, choices=pool[:MAX_CHOICES], candidates=pool, how="unclear_choice")

        named = [s for s in named or [] if s in kb.services]
        if named and named[0] in self._shared_names and intent not in {"correct_service", "choose_option"}:
            # A tagged phrase that only resembles a name other services also use ("the family household
            # register" for a newborn) is evidence like the name itself, not a decision.
            entity_services = [s for s in entity_services if s != named[0]]
            return self._weigh_shared_name(text, intent, entity_services, None, named[0])
        if named and not (intent == "correct_service" and named[0] == current):
            # The NLU tagged words that themselves name a service (possibly misspelled). A tag whose
            # words do not name one ("baby" learned for newborns) only counts as evidence below.
            return Resolution(named[0], candidates=named, how="entity")
        topic_free = " ".join(w for w in words(text) if w not in TOPIC_WORDS)
        if current and intent in FOLLOW_UP_INTENTS and not kb.candidates_for_keywords(topic_free):
            return Resolution(current, candidates=[current], how="context")
        if not text:
            return Resolution(current, candidates=[current] if current else [], how="context" if current else "none")
        return self._decide(text, intent, set(entity_services), current)

    def _shared_keywords(self, text: str) -> set[str]:
        """Stems of the vague words in the text that more than one service lists as a keyword."""
        candidates = self.kb.candidates_for_keywords(text)
        if len(candidates) < 2:
            return set()
        present = {_stem(w) for w in words(text)}
        counts: dict[str, int] = {}
        for sid in candidates:
            for kw in self.kb.services[sid].keywords:
                for w in words(kw):
                    if _stem(w) in present:
                        counts[_stem(w)] = counts.get(_stem(w), 0) + 1
        return {w for w, n in counts.items() if n > 1}

    @staticmethod
    def _last_position(text: str, service_id: str) -> int:
        return text.lower().rfind(service_id.split("_")[0])

    def _decide(
        self,
        text: str,
        intent: str,
        entity_services: set[str],
        current: str | None,
        restrict: list[str] | None = None,
        how: str = "semantic",
        named_bonus: str | None = None,
    ) -> Resolution:
        if restrict is None:
            shared = self._shared_keywords(text)
            if shared and not [w for w in words(text) if w not in _FILLER and _stem(w) not in shared]:
                # Only a vague word several services share ("I want to transfer something"):
                # nothing else to go on, so the citizen chooses (and no embedding is needed).
                choices = self.kb.candidates_for_keywords(text)[:MAX_CHOICES]
                if current in choices and intent != "ask_service":
                    return Resolution(current, candidates=choices, how="context")
                return Resolution(None, choices=choices, candidates=choices, how="keywords")
        scores, near = self._evidence(text, entity_services, named_bonus)
        if restrict is None and not named_bonus and not [w for w in words(text) if w not in _FILLER | ORDINALS.keys()]:
            # "number two please" with no choice on the table: no word means anything, however close its
            # vector happens to sit to some short situation ("we're getting married for the second time").
            near = False
        if not near and restrict is None:
            return Resolution(current if intent in FOLLOW_UP_INTENTS else None, how="ask", scores=scores)
        pool = restrict or list(scores)
        ranked = sorted(pool, key=lambda s: -scores[s])
        best, runner = ranked[0], ranked[1] if len(ranked) > 1 else None
        c1 = scores[best]
        c2 = scores[runner] if runner else -1e9
        close = [s for s in ranked[:MAX_CHOICES] if c1 - scores[s] <= CHOICE_MARGIN]
        keyword_pool = [s for s in self.kb.candidates_for_keywords(text) if s in pool]
        top = ranked[:MAX_CHOICES]
        if restrict is None and len(keyword_pool) > 1 and best in keyword_pool:
            # Vague words several services share ("transfer"): the citizen must choose unless the
            # rest of the sentence makes one clearly ahead. (When the best service overall is none of
            # them, "move my old-age insurance" is not about "move" or "old": the general rule decides.)
            kw_ranked = sorted(keyword_pool, key=lambda s: -scores[s])
            k1 = scores[kw_ranked[0]]
            k2 = scores[kw_ranked[1]]
            lead = KEYWORD_ANSWER_MARGIN_FACTOR * self.answer_margin
            if k1 >= ANSWER_MIN and k1 - k2 >= lead and kw_ranked[0] == best:
                return Resolution(best, candidates=kw_ranked[:MAX_CHOICES], how=how, scores=scores)
            if current in kw_ranked and intent != "ask_service":
                return Resolution(current, candidates=kw_ranked[:MAX_CHOICES], how="context", scores=scores)
            choices = kw_ranked[:MAX_CHOICES]
            return Resolution(None, choices=choices, candidates=choices, how="keywords", scores=scores)
        if current and intent in FOLLOW_UP_INTENTS:
            # A follow-up switches service only on clear evidence against the current one.
            if best != current and c1 >= ANSWER_MIN and c1 - scores[current] >= self.answer_margin:
                return Resolution(best, candidates=top, how=how, scores=scores)
            return Resolution(current, candidates=[current], how="context", scores=scores)
        if c1 >= ANSWER_MIN and c1 - c2 >= self.answer_margin:
            return Resolution(best, candidates=top, how=how, scores=scores)
        if intent in FOLLOW_UP_INTENTS and not restrict:
            # "how long does it take?" with no service in the conversation: ask, never guess a list.
            return Resolution(None, candidates=top, how="ask", scores=scores)
        if c1 >= CHOICE_MIN or restrict:
            choices = close if len(close) > 1 else ranked[:2]
            if current in choices and intent != "ask_service":
                return Resolution(current, candidates=choices, how="context", scores=scores)
            return Resolution(None, choices=choices, candidates=choices, how="choice", scores=scores)
        return Resolution(None, candidates=top, how="ask", scores=scores)
