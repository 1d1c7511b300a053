"""Conversation repair, as a citizen has it: corrections, answers to a choice, follow-ups, starting over.

Multi-turn over HTTP against the real Rasa and action servers (testkit/dialogue.py).
"""

from __future__ import annotations

from testkit.dialogue import buttons, cards


def service_card(messages):
    found = [c for c in cards(messages) if c.get("kind") == "service"]
    return found[0] if found else None


def choice_options(messages) -> list[str]:
    for c in cards(messages):
        if c.get("kind") == "choice" and c.get("topic") == "disambiguation":
            return list(c["fields"]["options"])
    return []


def test_correction_switches_service_and_keeps_the_question(chat, kb):
    c = chat()
    reply = c.say("how much does a new ID card cost?")
    assert service_card(reply)["service_id"] == "id_card"
    reply = c.say("no, I meant the residence permit")
    card = service_card(reply)
    assert card["service_id"] == "residence_permit"
    assert card["topic"] == "fee", "a correction answers the same question for the corrected service"
    assert c.slot("service") == "residence_permit"


def test_actually_the_other_fund_service(chat):
    c = chat()
    reply = c.say("I want to withdraw my housing provident fund")
    assert service_card(reply)["service_id"] == "provident_fund_withdrawal"
    reply = c.say("sorry, I meant the transfer")
    assert service_card(reply)["service_id"] == "provident_fund_transfer"
    assert c.slot("service") == "provident_fund_transfer"


def test_not_that_the_other_one_after_a_choice(chat):
    c = chat()
    reply = c.say("I want to transfer something")
    options = choice_options(reply)
    assert "provident_fund_transfer" in options and "pension_insurance_transfer" in options
    reply = c.say("the housing one")
    assert service_card(reply)["service_id"] == "provident_fund_transfer"
    reply = c.say("not that, the other one")
    # The other transfers are what is left: one is answered, or a choice among the rest is offered.
    card = service_card(reply)
    if card:
        assert card["service_id"] in set(options) - {"provident_fund_transfer"}
    else:
        rest = choice_options(reply)
        assert rest and "provident_fund_transfer" not in rest and set(rest) <= set(options)


def test_the_second_picks_the_second_offered_option(chat):
    c = chat()
    options = choice_options(c.say("I want to transfer something"))
    assert len(options) >= 2
    reply = c.say("the second one")
    assert service_card(reply)["service_id"] == options[1]
    assert c.slot("service") == options[1]


def test_a_partial_answer_stays_within_the_offered_transfers(chat):
    c = chat()
    options = choice_options(c.say("I want to transfer something"))
    assert "pension_insurance_transfer" in options
    reply = c.say("pension")
    assert service_card(reply)["service_id"] == "pension_insurance_transfer", (
        "a transfer question stays about transfers"
    )


def test_one_word_answer_withdrawal_resolves_the_fund_choice(chat):
    c = chat()
    reply = c.say("I have a question about my housing fund")
    options = choice_options(reply)
    assert {"provident_fund_transfer", "provident_fund_withdrawal"} <= set(options)
    reply = c.say("withdrawal")
    assert service_card(reply)["service_id"] == "provident_fund_withdrawal"


def test_a_situation_then_follow_ups_keep_the_service(chat, kb):
    c = chat()
    reply = c.say("my dad passed away last week")
    assert service_card(reply)["service_id"] == "bereavement_bundle"
    reply = c.say("and can I do it online?")
    card = service_card(reply)
    assert card["service_id"] == "bereavement_bundle" and card["topic"] == "online"
    reply = c.say("what do I need to bring?")
    card = service_card(reply)
    assert card["service_id"] == "bereavement_bundle" and card["topic"] == "materials"


def test_start_over_forgets_the_service(chat):
    c = chat()
    c.say("I need to renew my passport")
    assert c.slot("service") == "passport_travel_permit"
    c.say("start over")
    assert c.slot("service") is None
    reply = c.say("how long does it take?")
    assert service_card(reply) is None, "after starting over there is no service to follow up on"
    assert buttons(reply), "the guide asks which service, with buttons"


def test_one_vague_word_offers_the_services_it_could_mean_and_the_first_is_picked(chat):
    """ "pension" alone: whether or not the language model is sure of a one-word message, the guide offers the
    pension services (a clerk's "which one?"), and "the first" then answers that one."""
    c = chat()
    options = choice_options(c.say("pension"))
    assert {"pension_certification", "pension_insurance_transfer"} <= set(options)
    reply = c.say("the first")
    assert service_card(reply)["service_id"] == options[0]


def test_an_ordinal_with_no_choice_on_the_table_names_no_service(chat):
    c = chat()
    reply = c.say("number two please")
    assert service_card(reply) is None
