"""The card contract: every card the dialogue core sends, as typed models.

A card is the structured half of a reply (the spoken text is the other half):
`{"kind", "topic", "fields", "service_id"?, "service_name"?}`. It travels in
Rasa's `custom.data` payload, the bridge passes it on in `bot_message.cards`, the
gesture planner reads it to point and count, the kiosk page and the widget draw
it (`avatar_bridge/web/js/cards.js`), and the bridge ends the conversation on a
`farewell` card. Each topic belongs to exactly one kind, so `topic` is the
discriminator. Unknown keys are errors: a field a client reads must be written
down here first. Objects copied from the knowledge base (a service's location,
fee, materials ...) keep their knowledge-base shape; the keys clients read are
named, the rest may follow.

Only pydantic 2 is needed: this package is imported by the action server and by
the bridge/tests (never inside the Rasa env). `python -m cards` writes the JSON
Schema beside the protocol schemas.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _KbObject(BaseModel):
    """An object copied from the knowledge base (kb/schema.py): the keys clients read, and whatever else it has."""

    model_config = ConfigDict(extra="allow")


# --- knowledge-base objects as they appear in cards -------------------------------------------------------------
class Location(_KbObject):
    zone: str
    floor: int
    windows: list[str] = Field(min_length=1)


class Material(_KbObject):
    name: str
    form: str = "original"
    count: int = 1
    notes: str | None = None


class Fee(_KbObject):
    amount: float
    currency: str = "CNY"
    notes: str | None = None


class Online(_KbObject):
    fully_online: bool
    app_path: str | None = None
    web_url: str | None = None
    notes: str | None = None


class CrossProvince(_KbObject):
    available: bool
    how: str | None = None


class Desk(_KbObject):
    name: str
    floor: int


class Facility(_KbObject):
    id: str
    name: str


class OpeningHours(_KbObject):
    days: list[str]
    open: str
    close: str


class ClosedDay(_Fields):
    date: str
    reason: str


GestureName = Literal["point_left", "point_right", "point_forward", "nod"]


class Directions(_Fields):
    """Where something is, relative to the kiosk the citizen stands at: drives the avatar's pointing."""

    kiosk_id: str
    side: Literal["ahead", "left", "right", "behind"]
    gesture: str = Field(description="the pointing gesture: point_left, point_right or point_forward (else none)")
    floor_change: int
    distance_m: float


class Visit(_Fields):
    """Where the hall is, for a citizen who is not standing in it (web chat, home page, REST without a kiosk).

    Replaces kiosk-relative `directions`: the address, the opening hours and the hall's website; clients
    link to the bridge's hall page (`/hall`) for the floor plan.
    """

    hall: str
    address: str
    opening_hours: str = Field(description="the opening hours as one sentence, e.g. 'Monday to Friday 09:00-17:00'")
    website: str | None = None


class Prepare(_Fields):
    """A service that needs a visit, answered on the web: what to bring so that one visit is enough."""

    materials: list[Material]
    appointment_required: bool
    book: bool = Field(description="the guide offers to book an appointment (a button carries it)")


# --- fields per topic -------------------------------------------------------------------------------------------
class UnknownFactFields(_Fields):
    """The knowledge base has no entry for this topic of this service: the guide says so and gives the hotline."""

    unknown: Literal[True]
    hotline: str


class SummaryFields(_Fields):
    summary: str
    location: Location
    department: str
    online: Online | None = None
    visit: Visit | None = None
    prepare: Prepare | None = None


class MaterialsFields(_Fields):
    materials: list[Material]


class StepsFields(_Fields):
    steps: list[str]


class LocationFields(_Fields):
    """At a kiosk: `directions` from it (the avatar points). On the web: `visit` instead, never directions."""

    location: Location
    zone_name: str
    directions: Directions | None = None
    visit: Visit | None = None
    online: Online | None = None
    prepare: Prepare | None = None


class ProcessingTimeFields(_Fields):
    processing_time: str


class FeeFields(_Fields):
    fee: Fee


class OnlineFields(_Fields):
    online: Online
    visit: Visit | None = None
    prepare: Prepare | None = None


class EligibilityFields(_Fields):
    eligibility: list[str]


class CrossProvinceFields(_Fields):
    cross_province: CrossProvince


class GreetFields(_Fields):
    hall: str


class FarewellFields(_Fields):
    """Nothing to show: the card marks the end of the conversation (the bridge renews the session once spoken)."""


class HoursFields(_Fields):
    opening_hours: list[OpeningHours]
    closed_days: list[ClosedDay]
    open_today: bool


class FacilitiesFields(_Fields):
    facilities: list[str] = Field(description="facility ids of data/hall.yml")


class FacilityFields(_Fields):
    facility: Facility
    directions: Directions | None = None
    visit: Visit | None = None


class AccessibilityFields(_Fields):
    desk: Desk
    sign_language_hours: str
    directions: Directions | None = None
    visit: Visit | None = None


class AppHelpFields(_Fields):
    city_app_help: str
    hotline: str


class CheckProgressFields(_Fields):
    check_progress: str
    hotline: str


class ComplaintFields(_Fields):
    complaints: str
    hotline: str


class OutOfScopeFields(_Fields):
    hotline: str


class HandoffFields(_Fields):
    request_id: int | str
    desk: Desk
    directions: Directions | None = None
    visit: Visit | None = None
    hotline: str
    service_id: str | None = None


class ChoiceFields(_Fields):
    options: list[str] = Field(description="service ids offered (the buttons carry the titles)")


class FormFields(_Fields):
    asking: str = Field(description="the slot the appointment form asks for next (appt_date, appt_time, appt_name)")


class TicketFields(_Fields):
    issued: bool
    reason: str | None = Field(default=None, description="why no ticket was issued (closed)")
    number: str | None = None
    zone: str | None = None
    floor: int | None = None
    windows: list[str] | None = None
    issued_at: str | None = None
    repeated: bool | None = None


class AppointmentFields(_Fields):
    reference: str = Field(description="short reference, e.g. K7M-4PA (booking_reference/), to check in with")
    date: str
    time: str
    name: str
    location: Location
    checkin_code: str | None = Field(
        default=None, description="what the confirmation's QR code holds (a kiosk's scanner types it to check in)"
    )
    visit: Visit | None = None


class CheckInFields(_Fields):
    """Checking in at a kiosk with an appointment's reference: a ticket, or why not (`reason`)."""

    checked_in: bool
    reason: str | None = Field(
        default=None,
        description="why not: unknown, expired, early, closed, not_at_kiosk, no_reference",
    )
    reference: str | None = None
    number: str | None = None
    zone: str | None = None
    floor: int | None = None
    windows: list[str] | None = None
    date: str | None = None
    time: str | None = None
    repeated: bool | None = None


class AskAffirmationFields(_Fields):
    guesses: list[str] = Field(description="intents the guide guesses the citizen meant (buttons confirm one)")


class EmptyFields(_Fields):
    pass


class GiveUpFields(_Fields):
    hotline: str


# --- cards ------------------------------------------------------------------------------------------------------
class _Card(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _ServiceCard(_Card):
    kind: Literal["service"] = "service"
    service_id: str
    service_name: str


def _service_card(topic: str, fields: type[_Fields]) -> type[_ServiceCard]:
    return type(  # one class per topic, so `topic` discriminates
        f"{''.join(p.title() for p in topic.split('_'))}Card",
        (_ServiceCard,),
        {
            "__annotations__": {"topic": Literal[topic], "fields": fields | UnknownFactFields},  # type: ignore[valid-type]
            "__doc__": f"A service's {topic.replace('_', ' ')} (or an honest 'not known').",
            "__module__": __name__,
        },
    )


SERVICE_TOPICS: dict[str, type[_Fields]] = {
    "summary": SummaryFields,
    "materials": MaterialsFields,
    "steps": StepsFields,
    "location": LocationFields,
    "processing_time": ProcessingTimeFields,
    "fee": FeeFields,
    "online": OnlineFields,
    "eligibility": EligibilityFields,
    "cross_province": CrossProvinceFields,
}
SERVICE_CARDS = {topic: _service_card(topic, fields) for topic, fields in SERVICE_TOPICS.items()}


class GreetCard(_Card):
    kind: Literal["greeting"] = "greeting"
    topic: Literal["greet"] = "greet"
    fields: GreetFields


class StartOverCard(_Card):
    """The citizen asked to start again: the guide forgot the service and any half-filled form."""

    kind: Literal["greeting"] = "greeting"
    topic: Literal["start_over"] = "start_over"
    fields: EmptyFields = Field(default_factory=EmptyFields)


class FarewellCard(_Card):
    """The conversation is over (utter_goodbye): once spoken, the bridge starts a fresh session."""

    kind: Literal["farewell"] = "farewell"
    topic: Literal["goodbye"] = "goodbye"
    fields: FarewellFields = Field(default_factory=FarewellFields)


def _hall_card(name: str, topic: str, fields: type[_Fields]) -> type[_Card]:
    return type(
        name,
        (_Card,),
        {
            "__annotations__": {"kind": Literal["hall"], "topic": Literal[topic], "fields": fields},  # type: ignore[valid-type]
            "kind": "hall",
            "topic": topic,
            "__doc__": f"About the hall: {topic.replace('_', ' ')}.",
            "__module__": __name__,
        },
    )


HoursCard = _hall_card("HoursCard", "hours", HoursFields)
FacilitiesCard = _hall_card("FacilitiesCard", "facilities", FacilitiesFields)
FacilityCard = _hall_card("FacilityCard", "facility", FacilityFields)
AccessibilityCard = _hall_card("AccessibilityCard", "accessibility", AccessibilityFields)
AppHelpCard = _hall_card("AppHelpCard", "app_help", AppHelpFields)
CheckProgressCard = _hall_card("CheckProgressCard", "check_progress", CheckProgressFields)
ComplaintCard = _hall_card("ComplaintCard", "complaint", ComplaintFields)
OutOfScopeCard = _hall_card("OutOfScopeCard", "out_of_scope", OutOfScopeFields)


class HandoffCard(_Card):
    kind: Literal["handoff"] = "handoff"
    topic: Literal["human_handoff"] = "human_handoff"
    fields: HandoffFields


class DisambiguationCard(_Card):
    """The request could mean several services: which one?"""

    kind: Literal["choice"] = "choice"
    topic: Literal["disambiguation"] = "disambiguation"
    fields: ChoiceFields


class WhichServiceCard(_Card):
    """No service named yet: popular ones to pick from."""

    kind: Literal["choice"] = "choice"
    topic: Literal["which_service"] = "which_service"
    fields: ChoiceFields


class FormCard(_Card):
    kind: Literal["form"] = "form"
    topic: Literal["appointment"] = "appointment"
    fields: FormFields


class TicketCard(_Card):
    kind: Literal["ticket"] = "ticket"
    topic: Literal["queue_ticket"] = "queue_ticket"
    service_id: str
    service_name: str | None = None
    fields: TicketFields


class AppointmentCard(_Card):
    kind: Literal["appointment"] = "appointment"
    topic: Literal["book_appointment"] = "book_appointment"
    service_id: str
    service_name: str
    fields: AppointmentFields


class CheckInCard(_Card):
    kind: Literal["appointment"] = "appointment"
    topic: Literal["check_in"] = "check_in"
    service_id: str | None = None
    service_name: str | None = None
    fields: CheckInFields


class AskAffirmationCard(_Card):
    kind: Literal["fallback"] = "fallback"
    topic: Literal["ask_affirmation"] = "ask_affirmation"
    fields: AskAffirmationFields


class AskRephraseCard(_Card):
    kind: Literal["fallback"] = "fallback"
    topic: Literal["ask_rephrase"] = "ask_rephrase"
    fields: EmptyFields = Field(default_factory=EmptyFields)


class GiveUpCard(_Card):
    kind: Literal["fallback"] = "fallback"
    topic: Literal["give_up"] = "give_up"
    fields: GiveUpFields


class UnavailableCard(_Card):
    """Made by the bridge, not the dialogue core: the dialogue service did not answer."""

    kind: Literal["fallback"] = "fallback"
    topic: Literal["unavailable"] = "unavailable"
    fields: EmptyFields = Field(default_factory=EmptyFields)


CARD_CLASSES: tuple[type[_Card], ...] = (
    *SERVICE_CARDS.values(),
    GreetCard,
    StartOverCard,
    FarewellCard,
    HoursCard,
    FacilitiesCard,
    FacilityCard,
    AccessibilityCard,
    AppHelpCard,
    CheckProgressCard,
    ComplaintCard,
    OutOfScopeCard,
    HandoffCard,
    DisambiguationCard,
    WhichServiceCard,
    FormCard,
    TicketCard,
    AppointmentCard,
    CheckInCard,
    AskAffirmationCard,
    AskRephraseCard,
    GiveUpCard,
    UnavailableCard,
)
Card = Annotated[Union[CARD_CLASSES], Field(discriminator="topic")]  # noqa: UP007 (a runtime tuple)
# topic -> kind: every topic belongs to one kind
TOPICS: dict[str, str] = {
    c.model_fields["topic"].annotation.__args__[0]: c.model_fields["kind"].annotation.__args__[0] for c in CARD_CLASSES
}
KINDS: tuple[str, ...] = tuple(dict.fromkeys(TOPICS.values()))
_ADAPTER: TypeAdapter = TypeAdapter(Card)


class CardError(ValueError):
    """A card that breaks the contract: a bug in whoever built it."""


def parse(data: Any) -> _Card:
    """The typed card for a JSON card; CardError says what is wrong."""
    try:
        return _ADAPTER.validate_python(data)
    except Exception as exc:  # pydantic.ValidationError; message names the field
        topic = data.get("topic") if isinstance(data, dict) else None
        raise CardError(f"card {topic!r} breaks the card contract: {exc}") from None


def dump(card: _Card) -> dict[str, Any]:
    """The JSON form a card travels in: exactly the keys its builder set (no defaults added)."""
    return card.model_dump(mode="json", exclude_unset=True)


def build(kind: str, topic: str, fields: dict[str, Any], **top: Any) -> dict[str, Any]:
    """Build a card from plain values, checked against the contract; the JSON dict it travels as.

    `top` holds `service_id` / `service_name` where the kind has them.
    """
    if TOPICS.get(topic) != kind:
        raise CardError(f"topic {topic!r} is not a topic of kind {kind!r} (known: {TOPICS})")
    return dump(parse({"kind": kind, "topic": topic, "fields": fields, **top}))


def json_schema() -> dict[str, Any]:
    schema = _ADAPTER.json_schema(ref_template="#/$defs/{model}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "lobby-guide/protocol/v1/card.json",
        "title": "card",
        "description": "One card of bot_message.cards (generated from cards/model.py by `python -m cards`)",
        **schema,
    }
