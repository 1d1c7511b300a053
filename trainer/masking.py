"""Personal data masking for every view and export: ID-card numbers, phone numbers, names given to forms.

Citizens type their phone number or ID-card number into a kiosk, and the appointment form asks for
a name (`appt_name`). Trainers need the wording of a request, not who made it, so views show
placeholders unless an admin explicitly reveals a conversation (which is audited).

The rules themselves live in privacy/rules.py, shared with the tracker store that masks the same data
before Rasa writes it (nlu/masked_tracker_store.py): conversations stored since then hold placeholders
already, and this module keeps masking older ones and anything else shown.
"""

from __future__ import annotations

from privacy.rules import ID_CARD, NAME, NAME_SLOTS, PHONE, find_personal_data, mask_text

__all__ = ["ID_CARD", "NAME", "NAME_SLOTS", "PHONE", "find_personal_data", "mask_text"]
