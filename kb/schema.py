"""Schema of the service knowledge base.

The knowledge base is the single source of every fact the guide states, so the
schema is strict: unknown keys are errors (a typo in a field name must not make
a fact silently disappear), and cross-references are checked by the loader.
Optional fields exist on purpose: where a service centre has not filled in a
fact, the guide says it does not know instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Lang:
    """Marks a field as language text.

    The base files (``data/services``, ``data/hall.yml``) hold English; every other language lives in
    ``data/lang/<code>/`` and may hold these fields only (kb/overlay.py). Ids, numbers, window codes,
    positions and URLs are not marked, so they exist once and cannot drift apart between languages.
    """

    __slots__ = ("aligned",)

    def __init__(self, aligned: bool):
        self.aligned = aligned

    def __repr__(self) -> str:
        return "TRANSLATED" if self.aligned else "NATIVE"


TRANSLATED = Lang(aligned=True)  # the same text in each language; a list keeps the English length and order
NATIVE = Lang(aligned=False)  # written afresh in each language (the names citizens use): its own list
Text = Annotated[str, TRANSLATED]
Words = Annotated[list[str], NATIVE]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Material(_Strict):
    name: Text = Field(min_length=2)
    form: Literal["original", "copy", "original_and_copy", "electronic"] = "original"
    count: int = Field(default=1, ge=1, le=20)
    notes: Text | None = None


class Online(_Strict):
    fully_online: bool
    app_path: Text | None = None
    web_url: str | None = None
    notes: Text | None = None

    @model_validator(mode="after")
    def _online_needs_a_place(self) -> Online:
        if self.fully_online and not (self.app_path or self.web_url):
            raise ValueError("fully_online is true but neither app_path nor web_url says where")
        return self


class Location(_Strict):
    zone: str = Field(pattern=r"^[A-Z]$")
    floor: int = Field(ge=-2, le=20)
    windows: list[str] = Field(min_length=1)

    @field_validator("windows")
    @classmethod
    def _window_codes(cls, windows: list[str]) -> list[str]:
        for code in windows:
            if not re.fullmatch(r"[A-Z]\d{1,2}", code):
                raise ValueError(f"window code {code!r} must look like 'B12'")
        return windows


class Fee(_Strict):
    amount: float = Field(ge=0)
    currency: str = "CNY"
    notes: Text | None = None

    @property
    def free(self) -> bool:
        return self.amount == 0


class CrossProvince(_Strict):
    available: bool
    how: Text | None = None


class Service(_Strict):
    LANG_KEY: ClassVar[str] = "id"  # a language file repeats it, so a file cannot describe the wrong service

    id: str = Field(pattern=ID_PATTERN)
    name: Text = Field(min_length=3)
    aliases: Words = Field(default_factory=list)
    keywords: Words = Field(
        default_factory=list,
        description="Vague words a citizen may use that could mean this service "
        "(e.g. 'transfer'); used to offer a choice when a request is ambiguous.",
    )
    situations: Words = Field(
        min_length=8,
        description="Life events and everyday descriptions in the citizen's own words "
        "('my dad passed away', 'I got laid off'); the semantic retriever matches what "
        "citizens say against them, so they need no service vocabulary.",
    )
    department: Text
    summary: Text = Field(min_length=10)
    eligibility: list[Text] | None = None
    materials: list[Material] | None = None
    steps: list[Text] | None = None
    online: Online | None = None
    location: Location
    processing_time: Text | None = None
    fee: Fee | None = None
    cross_province: CrossProvince | None = None
    appointment_required: bool = False
    related: list[str] = Field(default_factory=list)
    last_reviewed: dt.date

    @field_validator("aliases", "keywords", "situations")
    @classmethod
    def _no_blank_words(cls, words: list[str]) -> list[str]:
        cleaned = [w.strip() for w in words]
        if any(not w for w in cleaned):
            raise ValueError("must not contain empty strings")
        return cleaned

    @field_validator("situations")
    @classmethod
    def _distinct_situations(cls, situations: list[str]) -> list[str]:
        seen: set[str] = set()
        for s in situations:
            key = " ".join(s.lower().split())
            if key in seen:
                raise ValueError(f"situation {s!r} is listed twice")
            seen.add(key)
        return situations

    @property
    def spoken_names(self) -> list[str]:
        """Every way a citizen may name the service, name first."""
        return [self.name, *self.aliases]


class Position(_Strict):
    """A point on the hall floor plan, in metres; y grows towards the back wall."""

    x: float
    y: float


class Zone(_Strict):
    LANG_KEY: ClassVar[str] = "id"

    id: str = Field(pattern=r"^[A-Z]$")
    name: Text
    floor: int
    windows: list[str] = Field(min_length=1)
    position: Position


class Kiosk(_Strict):
    LANG_KEY: ClassVar[str] = "id"

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: Text
    floor: int
    position: Position
    facing_deg: float = Field(
        ge=0, lt=360, description="Direction a citizen at the kiosk looks, 0 = towards the back wall (+y), 90 = +x."
    )


class Facility(_Strict):
    LANG_KEY: ClassVar[str] = "id"

    id: str = Field(pattern=ID_PATTERN)
    name: Text
    aliases: Words = Field(default_factory=list)
    description: Text
    floor: int | None = None
    position: Position | None = None
    hours: Text | None = None


class OpeningHours(_Strict):
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1)
    open: str = Field(pattern=TIME_PATTERN)
    close: str = Field(pattern=TIME_PATTERN)

    @model_validator(mode="after")
    def _open_before_close(self) -> OpeningHours:
        if self.open >= self.close:
            raise ValueError(f"open {self.open} must be before close {self.close}")
        return self


class ClosedDay(_Strict):
    LANG_KEY: ClassVar[str] = "date"

    date: dt.date
    reason: Text


class Desk(_Strict):
    name: Text
    zone: str | None = None
    floor: int
    position: Position
    description: Text | None = None


class Hall(_Strict):
    name: Text
    address: Text
    hotline: str = Field(pattern=r"^\d{3,12}$")
    website: str | None = None
    city_app: Text
    city_app_help: Text
    check_progress: Text
    complaints: Text
    opening_hours: list[OpeningHours] = Field(min_length=1)
    closed_days: list[ClosedDay] = Field(default_factory=list)
    appointment_slot_minutes: int = Field(default=30, ge=10, le=120)
    appointment_days_ahead: int = Field(default=30, ge=1, le=365)
    ticket_zones: dict[str, str] = Field(
        default_factory=dict, description="Zone id -> queue prefix printed on tickets."
    )
    zones: list[Zone] = Field(min_length=1)
    facilities: list[Facility] = Field(default_factory=list)
    help_desk: Desk
    accessibility_desk: Desk
    sign_language_hours: Text
    kiosks: list[Kiosk] = Field(min_length=1)
    default_kiosk: str

    @model_validator(mode="after")
    def _references(self) -> Hall:
        kiosk_ids = {k.id for k in self.kiosks}
        if self.default_kiosk not in kiosk_ids:
            raise ValueError(f"default_kiosk {self.default_kiosk!r} is not one of the kiosks {sorted(kiosk_ids)}")
        zone_ids = [z.id for z in self.zones]
        if len(zone_ids) != len(set(zone_ids)):
            raise ValueError("zone ids must be unique")
        days = [d for h in self.opening_hours for d in h.days]
        if len(days) != len(set(days)):
            raise ValueError("a weekday appears in more than one opening_hours entry")
        return self
