"""Services a citizen could confuse are never swapped silently.

For each confusable pair, questions about one side (written for this test, in the
citizen's words) must get that service, a choice that contains it, or a question
back ("which service is it about?"), and never the other service as an answer.
Asking back is a miss for the citizen (the benchmark counts it), but not a swap. Over HTTP against the real Rasa and
action servers: the NLU's entity tags and the semantic resolver both take part.
"""

from __future__ import annotations

import pytest

from testkit.dialogue import buttons, cards

# (right service, the one it must never be swapped with, question)
CONFUSABLES = [
    ("newborn_bundle", "bereavement_bundle", "our baby was born on tuesday, what paperwork is there"),
    ("newborn_bundle", "bereavement_bundle", "I just had a daughter and need to register her"),
    ("bereavement_bundle", "newborn_bundle", "my father died last night, what do we have to do"),
    ("bereavement_bundle", "newborn_bundle", "my grandmother passed away and we need to sort out her papers"),
    (
        "provident_fund_transfer",
        "provident_fund_withdrawal",
        "I changed employer and my housing fund should move with me",
    ),
    ("provident_fund_transfer", "provident_fund_withdrawal", "how do I move my gongjijin account to my new company"),
    ("provident_fund_withdrawal", "provident_fund_transfer", "I want to take money out of my housing fund to pay rent"),
    ("provident_fund_withdrawal", "provident_fund_transfer", "can I cash out my gongjijin to buy an apartment"),
    (
        "pension_insurance_transfer",
        "pension_certification",
        "I moved provinces for work, how do my pension contributions come with me",
    ),
    (
        "pension_insurance_transfer",
        "pension_certification",
        "I want to move my old-age insurance from Shenzhen to here",
    ),
    (
        "pension_certification",
        "pension_insurance_transfer",
        "my retired mother has to confirm she is alive to keep her pension",
    ),
    (
        "pension_certification",
        "pension_insurance_transfer",
        "how does a retiree do the yearly face check for the pension",
    ),
    ("social_security_card", "medical_insurance_ecert", "I lost my social security card"),
    ("social_security_card", "medical_insurance_ecert", "the chip on my shebao card is broken and I need a new card"),
    ("medical_insurance_ecert", "social_security_card", "I want the medical insurance QR code on my phone"),
    (
        "medical_insurance_ecert",
        "social_security_card",
        "can I pay at the pharmacy by scanning a code instead of my card",
    ),
    ("id_card", "household_registration", "my identity card expired last week"),
    ("id_card", "household_registration", "someone stole my ID on the metro"),
    ("household_registration", "id_card", "we are moving our hukou here from another province"),
    ("household_registration", "id_card", "I want to register my family at our new address in the household register"),
    ("maternity_benefit", "newborn_bundle", "I'm pregnant and want the allowance during my leave"),
    ("maternity_benefit", "newborn_bundle", "can maternity insurance pay for my delivery costs"),
    ("newborn_bundle", "maternity_benefit", "we need to get our newborn son his hukou and insurance"),
    ("disability_certificate", "accessibility_help", "my son is deaf and we want the disability certificate"),
    ("disability_certificate", "accessibility_help", "how do I get officially assessed as disabled for the subsidies"),
    ("cross_province_medical", "newborn_bundle", "my mother needs treatment in a hospital in another province"),
    (
        "cross_province_medical",
        "newborn_bundle",
        "will my insurance settle the bill directly if I see a doctor in another province",
    ),
    ("newborn_bundle", "cross_province_medical", "my wife gave birth yesterday, what do we do for the baby"),
]


def outcome(reply: list[dict]) -> tuple[set[str], set[str]]:
    """(services answered, services offered as a choice) in one reply."""
    answered = {c["service_id"] for c in cards(reply) if c.get("kind") == "service" and c.get("service_id")}
    offered = {
        sid
        for c in cards(reply)
        if c.get("kind") == "choice" and c.get("topic") == "disambiguation"
        for sid in c["fields"].get("options", [])
    }
    if offered:  # the buttons are what the citizen can press: they must match the card
        assert {b["payload"].split('"service":"')[1].split('"')[0] for b in buttons(reply)} == offered
    return answered, offered


@pytest.mark.parametrize(("right", "other", "question"), CONFUSABLES, ids=[f"{r}-{q[:30]}" for r, _, q in CONFUSABLES])
def test_confusable_services_are_never_swapped_silently(chat, right, other, question):
    c = chat()
    reply = c.say(question)
    answered, offered = outcome(reply)
    assert other not in answered, f"answered {other} for a question about {right}: {question!r}"
    if other == "accessibility_help":  # an intent, not a service: the card must be the certificate's
        assert not any(x.get("topic") == "accessibility" for x in cards(reply)), "sent to the accessibility desk"
    if answered:
        assert answered == {right}, f"answered {answered} for {question!r}"
        assert c.slot("service") == right
    elif offered:
        assert right in offered, f"offered {offered} without {right} for {question!r}"
        assert len(offered) <= 3
    else:
        assert c.slot("service") is None, "no service was named, so none may be assumed"
        assert any(m.get("text") for m in reply), "the guide asks back rather than staying silent"
