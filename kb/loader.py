"""Load and validate `data/services/*.yml` and `data/hall.yml`.

Validation errors name the file and the field path, because the people who edit
these files are service-centre staff, not developers.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from kb.schema import Hall, Service
from kb.search import ServiceIndex

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
KB_DIR_ENV = "LOBBY_KB_DIR"  # another knowledge base for every component (actions, bridge, recogniser, training)


class KnowledgeBaseError(ValueError):
    """The knowledge base cannot be used; the message lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("knowledge base is invalid:\n  - " + "\n  - ".join(problems))


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9\u4e00-\u9fff]+", " ", text.lower()).strip()


@dataclass(frozen=True)
class KnowledgeBase:
    services: dict[str, Service]
    hall: Hall
    root: Path
    _names: dict[str, str] = field(default_factory=dict, repr=False)
    _index: ServiceIndex | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        names: dict[str, str] = {}
        for service in self.services.values():
            for spoken in [service.id.replace("_", " "), *service.spoken_names]:
                names.setdefault(_normalise(spoken), service.id)
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_index", ServiceIndex(list(self.services.values())))

    def rank(self, text: str, top: int = 5) -> list[tuple[str, float]]:
        """Services ranked by similarity to a free-form request (see kb.search)."""
        return self._index.rank(text, top)

    def get(self, service_id: str | None) -> Service | None:
        return self.services.get(service_id) if service_id else None

    def resolve(self, text: str | None, *, fuzzy: bool = True) -> str | None:
        """Map a service id, name or alias (possibly misspelled) to a service id."""
        if not text:
            return None
        if text in self.services:
            return text
        key = _normalise(text)
        if key in self._names:
            return self._names[key]
        if fuzzy and len(key) >= 4:
            match = difflib.get_close_matches(key, list(self._names), n=1, cutoff=0.82)
            if match:
                return self._names[match[0]]
        return None

    def find_in_text(self, text: str) -> list[str]:
        """Service ids whose name or alias occurs in a sentence, longest match first."""
        padded = f" {_normalise(text)} "
        hits: list[tuple[int, str]] = []
        for name, service_id in self._names.items():
            if name and f" {name} " in padded and service_id not in {s for _, s in hits}:
                hits.append((len(name), service_id))
        return [s for _, s in sorted(hits, reverse=True)]

    def candidates_for_keywords(self, text: str) -> list[str]:
        """Services a vague request could mean ("I want to transfer something")."""
        words = set(_normalise(text).split())
        found = []
        for service in self.services.values():
            for keyword in service.keywords:
                kw = _normalise(keyword).split()
                if kw and all(w in words for w in kw):
                    found.append(service.id)
                    break
        return found

    def vocabulary(self) -> list[str]:
        """Service names and aliases, for speech-recognition biasing and NLU lookups."""
        seen: dict[str, None] = {}
        for service in self.services.values():
            for spoken in service.spoken_names:
                seen.setdefault(spoken, None)
        return list(seen)

    def is_open(self, day: dt.date) -> bool:
        return self.opening_hours_on(day) is not None

    def opening_hours_on(self, day: dt.date) -> tuple[str, str] | None:
        if any(c.date == day for c in self.hall.closed_days):
            return None
        weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
        for hours in self.hall.opening_hours:
            if weekday in hours.days:
                return hours.open, hours.close
        return None


def _format_error(path: Path, err: ValidationError) -> list[str]:
    problems = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        problems.append(f"{path}: field '{where}': {e['msg']}")
    return problems


def _read_yaml(path: Path, problems: list[str]) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: not valid YAML: {exc}")
        return None


def load_service(path: Path) -> Service:
    """Load one service file; raises KnowledgeBaseError naming the file and field."""
    problems: list[str] = []
    raw = _read_yaml(path, problems)
    if problems:
        raise KnowledgeBaseError(problems)
    if not isinstance(raw, dict):
        raise KnowledgeBaseError([f"{path}: expected a mapping of fields, got {type(raw).__name__}"])
    try:
        service = Service.model_validate(raw)
    except ValidationError as exc:
        raise KnowledgeBaseError(_format_error(path, exc)) from None
    if service.id != path.stem:
        raise KnowledgeBaseError([f"{path}: field 'id': {service.id!r} must match the file name {path.stem!r}"])
    return service


def load_knowledge_base(root: Path | str | None = None) -> KnowledgeBase:
    """Load the whole knowledge base and check references between files."""
    root = Path(root or os.environ.get(KB_DIR_ENV) or DEFAULT_DATA_DIR)
    problems: list[str] = []
    services: dict[str, Service] = {}
    broken: set[str] = set()  # files already reported; references to them are not problems of their own
    service_files = sorted((root / "services").glob("*.yml"))
    if not service_files:
        problems.append(f"{root / 'services'}: no service files (*.yml) found")
    for path in service_files:
        try:
            service = load_service(path)
        except KnowledgeBaseError as exc:
            problems.extend(exc.problems)
            broken.add(path.stem)
            continue
        services[service.id] = service

    hall_path = root / "hall.yml"
    hall: Hall | None = None
    if not hall_path.exists():
        problems.append(f"{hall_path}: missing")
    else:
        raw = _read_yaml(hall_path, problems)
        if raw is not None:
            try:
                hall = Hall.model_validate(raw)
            except ValidationError as exc:
                problems.extend(_format_error(hall_path, exc))

    if hall is not None:
        zones = {z.id: z for z in hall.zones}
        for service in services.values():
            path = root / "services" / f"{service.id}.yml"
            zone = zones.get(service.location.zone)
            if zone is None:
                problems.append(f"{path}: field 'location.zone': zone {service.location.zone!r} is not in hall.yml")
                continue
            if zone.floor != service.location.floor:
                floor = service.location.floor
                problems.append(f"{path}: field 'location.floor': zone {zone.id} is on floor {zone.floor}, not {floor}")
            for window in service.location.windows:
                if window not in zone.windows:
                    problems.append(f"{path}: field 'location.windows': window {window} is not in zone {zone.id}")
    for service in services.values():
        path = root / "services" / f"{service.id}.yml"
        for i, other in enumerate(service.related):
            if other not in services and other not in broken:
                problems.append(f"{path}: field 'related.{i}': unknown service id {other!r}")

    if problems:
        raise KnowledgeBaseError(problems)
    assert hall is not None
    return KnowledgeBase(services=services, hall=hall, root=root)
