"""Post-recognition correction: near-misses of knowledge-base names are fixed, plain English is left alone.

The mis-hearings below are what Whisper wrote for the tuning voices (Piper joe,
espeak-ng en-us) in the voice benchmark; the held-out split plays no part here.
"""

from __future__ import annotations

import pytest

from benchmarks.bench_biasing import PLAIN
from voice.asr import Transcript
from voice.correction import Corrector, phonetic_key, shared_corrector


@pytest.fixture(scope="module")
def corrector() -> Corrector:
    return shared_corrector()


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("What do I need to move my hooko to Harbor City?", "hukou"),
        ("Which documents do I need for the Hucco transfer?", "hukou transfer"),
        ("Can I get my Shubo card replaced today?", "shebao card"),
        ("Where can I withdraw money from my housing, pravivant funds?", "provident"),
        ("What papers do I need for the proper registration?", "property registration"),
        ("How do I take out my gongyijin to pay rent?", "gongjijin"),
        ("Is the shenfenyong free for children?", "shenfenzheng"),
        ("I want to claim an employment insurance.", "unemployment insurance"),
    ],
)
def test_near_misses_of_service_names_become_the_name(corrector, heard, meant):
    result = corrector.correct(heard)
    assert meant in result.text.lower()
    assert result.corrections and all(c.heard and c.term for c in result.corrections)


@pytest.mark.parametrize(
    "sentence",
    [
        *PLAIN,
        "I need a proper answer, not a guess.",  # "proper" is English: alone it is never "property"
        "There was a lot of tension in the room.",
        "My son plays hockey on Saturdays.",
        "Can I transfer my gongjijin to Shanghai?",  # a city Whisper knows is not a service word
        "How do I get a Hong Kong and Macao permit?",
        "Where do I apply for a disability certificate?",
        "Can I do the pension verification from abroad?",  # a KB word heard right is never swapped for another
    ],
)
def test_plain_english_and_correct_transcripts_are_left_as_heard(corrector, sentence):
    result = corrector.correct(sentence)
    assert result.text == sentence and not result.changed


def test_punctuation_and_the_rest_of_the_sentence_survive(corrector):
    result = corrector.correct("My father died. How do I cancel this huko, and where?")
    assert result.text == "My father died. How do I cancel this hukou, and where?"


def test_a_corrected_transcript_keeps_what_was_heard():
    transcript = Transcript("move my hooko please", "en", 0.9, (), 1000, 100)
    corrected = shared_corrector().correct_transcript(transcript)
    assert corrected.text == "move my hukou please"
    assert corrected.details["heard"] == "move my hooko please"
    assert corrected.details["corrections"][0][:2] == ["move my hooko", "move my hukou"]
    untouched = Transcript("where is the toilet", "en", 0.9, (), 1000, 100)
    assert shared_corrector().correct_transcript(untouched) is untouched


def test_an_empty_vocabulary_changes_nothing():
    assert Corrector([]).correct("move my hooko").text == "move my hooko"


def test_phonetic_key_hears_spelling_variants_alike():
    assert phonetic_key("hukou") == phonetic_key("hooko") == phonetic_key("hucco")
    assert phonetic_key("licence") == phonetic_key("license")
    assert phonetic_key("pension") != phonetic_key("passport")
