"""A typed misspelling of the knowledge base's words still reaches the right service; real words stay as typed.

The speller (actions/spelling.py) reads a word as a knowledge-base word only when the word is no English word
(Debian's word lists, installed by set-up) and exactly one knowledge-base word is one edit away (two for long
words). The last test asks over HTTP, against the real Rasa and action servers.
"""

from __future__ import annotations

import pytest

from actions.spelling import Speller, english_words, knowledge_base_words, osa_distance, speller_for
from kb import load_knowledge_base
from testkit.dialogue import cards


@pytest.fixture(scope="module")
def speller(kb) -> Speller:
    found = speller_for(kb)
    assert found is not None, "the English word lists (wamerican, wbritish) are installed by set-up"
    return found


def test_edits_count_a_swapped_pair_of_letters_as_one():
    assert osa_distance("marraige", "marriage", 2) == 1
    assert osa_distance("pasport", "passport", 2) == 1
    assert osa_distance("certficat", "certificate", 2) == 2
    assert osa_distance("pension", "passport", 2) == 3, "above the limit is reported as limit + 1"


def test_misspelled_service_words_are_read_as_the_knowledge_bases_words(speller):
    assert speller.correct("how do I get a pasport") == "how do I get a passport"
    assert speller.correct("we want to register our marraige") == "we want to register our marriage"
    assert speller.correct("I need a birth certficate for my daugther") == "I need a birth certificate for my daughter"
    assert speller.word("unemplyment") == "unemployment"
    assert speller.word("Insurence") == "insurance", "case does not matter"


def test_real_words_short_words_and_contractions_stay_as_typed(speller):
    for text in ("somebody took my purse", "I worked at the steel plant", "track my application",
                 "can you recommend a good movie", "my fund is sitting there", "she shouldn't pay"):  # fmt: skip
        assert speller.correct(text) == text
    assert speller.correct("socail crad") == "social crad", "four letters are too few to guess from"


def test_a_word_equally_near_two_knowledge_base_words_is_left_alone():
    two = Speller(["abcdef", "abcdeg"], known=[])
    assert two.word("abcdex") is None
    assert Speller(["abcdef"], known=[]).word("abcdex") == "abcdef"


def test_no_word_list_or_a_chinese_knowledge_base_means_no_correction(tmp_path):
    assert english_words([tmp_path / "missing"]) == set()
    assert speller_for(load_knowledge_base(lang="zh")) is None
    assert "passport" in knowledge_base_words(load_knowledge_base())


def test_a_misspelled_question_is_answered_for_its_service(chat):
    reply = chat().say("what documents do I need to renew my pasport")
    found = [c for c in cards(reply) if c.get("kind") == "service"]
    assert found and found[0]["service_id"] == "passport_travel_permit", reply
