"""Text normalisation: what the guide says out loud for things written for the screen."""

from __future__ import annotations

import pytest

from voice.normalize import normalize_for_speech
from voice.numbers import cardinal, ordinal, year
from voice.sentences import plan_utterances, split_sentences


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        # times and ranges
        ("Open 9:00–17:00.", "Open nine a.m. to five p.m."),
        ("Open 09:00-12:00 on Saturdays.", "Open nine a.m. to twelve noon on Saturdays."),
        ("Last ticket at 16:30.", "Last ticket at four thirty p.m."),
        ("Opens at 8:05.", "Opens at eight oh five a.m."),
        ("Mon–Fri 9:00–17:00", "Monday to Friday nine a.m. to five p.m."),
        ("Closed on Sat.", "Closed on Saturday."),
        # dates
        ("Closed on 2026-12-25.", "Closed on December twenty-fifth, twenty twenty-six."),
        ("Apply by 1 March 2027.", "Apply by March first, twenty twenty-seven."),
        ("Apply by March 3.", "Apply by March third."),
        # window codes, tickets, floors
        ("Go to window B12.", "Go to window B twelve."),
        ("Windows D03 and D04.", "Windows D three and D four."),
        ("Window A3 is on the left.", "Window eh three is on the left."),
        ("Your ticket is A023.", "Your ticket is eh zero two three."),
        ("It is on the 2nd floor.", "It is on the second floor."),
        # phone, hotline, receipt numbers: digit by digit
        ("Call the hotline 12345.", "Call the hotline one two three four five."),
        ("Call 0571-8888 1234.", "Call zero five seven one, eight eight eight eight, one two three four."),
        ("Text 13800138000.", "Text one three eight zero zero one three eight zero zero zero."),
        ("Receipt number 004512.", "Receipt number zero zero four five one two."),
        # money
        ("The fee is ¥30.", "The fee is thirty yuan."),
        ("It costs ¥30.50.", "It costs thirty yuan fifty."),
        ("A deposit of 1,200 yuan.", "A deposit of one thousand two hundred yuan."),
        ("Pay RMB 20 at the desk.", "Pay twenty yuan at the desk."),
        # abbreviations
        ("Bring your ID card.", "Bring your I-D card."),
        ("Fill in form No. 3.", "Fill in form number three."),
        ("Bring papers, e.g. a lease.", "Bring papers, for example a lease."),
        ("Show the QR code.", "Show the Q-R code."),
        ("Photos, copies etc. Then wait.", "Photos, copies et cetera. Then wait."),
        ("It takes 3-5 working days.", "It takes three to five working days."),
        ("About 50% are online.", "About fifty percent are online."),
        # URLs, e-mail, markup
        ("See https://service.harbor.example.gov/apply for details.", "See the web address on the screen for details."),
        ("Write to help@harbor.example.gov today.", "Write to the email address on the screen today."),
        ("**Important:** bring the *original*.", "Important: bring the original."),
        ("Use [the city app](https://app.example.gov) now.", "Use the city app now."),
        ("<p>Open <b>today</b></p>", "Open today."),
        ("Go to Harbor City app > Services > Family", "Go to Harbor City app, then Services, then Family."),
    ],
)
def test_written_conventions_become_words(written, spoken):
    assert normalize_for_speech(written) == spoken


def test_list_bullets_become_a_spoken_enumeration():
    written = "You need:\n- ID cards of both parents\n- the birth certificate\n- a photo of the baby"
    assert normalize_for_speech(written) == (
        "You need: First, I-D cards of both parents. Second, the birth certificate. And finally, a photo of the baby."
    )


def test_numbered_list_of_two_items():
    assert normalize_for_speech("Steps:\n1. Take a ticket\n2. Wait for your number") == (
        "Steps: First, Take a ticket. Second, Wait for your number."
    )


def test_nothing_written_for_the_screen_is_left_for_the_voice():
    spoken = normalize_for_speech("## Fees\nFee: ¥30 (see https://x.example.gov). Call 12345, Mon–Fri 9:00–17:00.")
    assert not any(ch.isdigit() for ch in spoken)
    assert "http" not in spoken and "#" not in spoken and "¥" not in spoken and ":" not in spoken.replace("Fee:", "")


def test_mandarin_reads_phone_numbers_digit_by_digit_but_amounts_and_years_as_numbers():
    assert normalize_for_speech("请拨打热线12345。", "zh") == "请拨打热线幺二三四五。"
    assert normalize_for_speech("电话0571-8888 1234，费用120元，2026年", "zh").startswith(
        "电话零五七幺，八八八八，幺二三四，"
    )
    assert "费用120元，2026年" in normalize_for_speech("电话0571-8888 1234，费用120元，2026年", "zh")


def test_mandarin_text_keeps_its_characters_but_not_urls():
    spoken = normalize_for_speech("请到B12窗口，费用¥30。详见 https://x.gov", "zh")
    assert spoken == "请到B12窗口，费用30元。详见 屏幕上的网址."


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (13, "thirteen"),
        (21, "twenty-one"),
        (105, "one hundred and five"),
        (1200, "one thousand two hundred"),
        (2_000_005, "two million and five"),
    ],
)
def test_cardinals(n, words):
    assert cardinal(n) == words


def test_ordinals_and_years():
    assert [ordinal(n) for n in (1, 2, 3, 12, 21, 30)] == [
        "first",
        "second",
        "third",
        "twelfth",
        "twenty-first",
        "thirtieth",
    ]
    assert [year(y) for y in (2026, 2005, 1998, 1900)] == [
        "twenty twenty-six",
        "two thousand and five",
        "nineteen ninety-eight",
        "nineteen hundred",
    ]


def test_sentences_split_at_full_stops_but_not_inside_a_m():
    text = "Open at nine a.m. every day. Bring your card! Is that all? Yes."
    assert split_sentences(text) == ["Open at nine a.m. every day.", "Bring your card!", "Is that all?", "Yes."]


def test_mandarin_sentences_split_at_chinese_punctuation():
    assert split_sentences("你好。请到二楼！谢谢？") == ["你好。", "请到二楼！", "谢谢？"]


def test_a_long_first_sentence_is_cut_at_its_first_clause_for_a_faster_start():
    text = "For the newborn bundle, bring both parents' ID cards and the birth certificate to window D three. Thanks."
    assert plan_utterances(text) == [
        "For the newborn bundle,",
        "bring both parents' ID cards and the birth certificate to window D three.",
        "Thanks.",
    ]
    assert plan_utterances("Go to window B twelve, please. Thanks.") == ["Go to window B twelve, please.", "Thanks."]
