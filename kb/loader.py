"""Load and validate `data/services/*.yml` and `data/hall.yml`, in English or another language.

Validation errors name the file and the field path, because the people who edit
these files are service-centre staff, not developers. Another language's text
comes from `data/lang/<code>/` laid over the English files (kb/overlay.py), so
`load_knowledge_base(lang="zh")` gives the same typed model with Chinese text.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from kb.languages import BASE_LANGUAGE, LANG_DIR, enabled_languages
from kb.overlay import overlay, template
from kb.schema import Hall, Service
from kb.search import ServiceIndex

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
KB_DIR_ENV = "LOBBY_KB_DIR"  # another knowledge base for every component (actions, bridge, recogniser, training)


class KnowledgeBaseError(ValueError):
    """The knowledge base cannot be used; the message lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("knowledge base is invalid:\n  - " + "\n  - ".join(problems))


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _normalise(text: str) -> str:
    # NFKC folds full-width letters and digits (ＡＰＰ, １２３４５) typed on Chinese keyboards; ASCII is unchanged.
    return re.sub(r"[^a-z0-9\u4e00-\u9fff]+", " ", unicodedata.normalize("NFKC", text).lower()).strip()


def _compact(normalised: str) -> str:
    """Chinese is written without spaces (and recognisers insert them at random): match without any."""
    return normalised.replace(" ", "")


@dataclass(frozen=True)
class KnowledgeBase:
    services: dict[str, Service]
    hall: Hall
    root: Path
    lang: str = BASE_LANGUAGE
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
        """Service ids whose name or alias occurs in a sentence, longest match first.

        Alphabetic names match whole words. Names in Chinese characters match as substrings (Chinese
        has no spaces between words); a Chinese name inside a longer one that matched at the same
        place does not count on its own ("社保" inside "社保卡" names only the card).
        """
        normalised = _normalise(text)
        padded, compact = f" {normalised} ", _compact(normalised)
        chinese = self._chinese_names_in(compact)
        hits: list[tuple[int, str]] = []
        for name, service_id in self._names.items():
            found = name in chinese if _CJK.search(name) else bool(name) and f" {name} " in padded
            if found and service_id not in {s for _, s in hits}:
                hits.append((len(name), service_id))
        return [s for _, s in sorted(hits, reverse=True)]

    def _chinese_names_in(self, compact: str) -> set[str]:
        """Chinese names occurring in `compact`, longest first, each needing a place no longer name took."""
        taken: list[tuple[int, int]] = []
        found: set[str] = set()
        for name in sorted((n for n in self._names if _CJK.search(n)), key=lambda n: -len(_compact(n))):
            needle, start = _compact(name), 0
            while (at := compact.find(needle, start)) >= 0:
                span = (at, at + len(needle))
                if not any(a <= span[0] and span[1] <= b for a, b in taken):
                    taken.append(span)
                    found.add(name)
                start = at + 1
        return found

    def candidates_for_keywords(self, text: str) -> list[str]:
        """Services a vague request could mean ("I want to transfer something", "我想转移一下")."""
        normalised = _normalise(text)
        words, compact = set(normalised.split()), _compact(normalised)
        found = []
        for service in self.services.values():
            for keyword in service.keywords:
                kw = _normalise(keyword)
                if _CJK.search(kw):
                    hit = _compact(kw) in compact
                else:
                    hit = bool(kw.split()) and all(w in words for w in kw.split())
                if hit:
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


def _read_mapping(path: Path) -> dict:
    problems: list[str] = []
    raw = _read_yaml(path, problems)
    if problems:
        raise KnowledgeBaseError(problems)
    if not isinstance(raw, dict):
        raise KnowledgeBaseError([f"{path}: expected a mapping of fields, got {type(raw).__name__}"])
    return raw


def _service_from(raw: dict, path: Path, stem: str) -> Service:
    try:
        service = Service.model_validate(raw)
    except ValidationError as exc:
        raise KnowledgeBaseError(_format_error(path, exc)) from None
    if service.id != stem:
        raise KnowledgeBaseError([f"{path}: field 'id': {service.id!r} must match the file name {stem!r}"])
    return service


def load_service(path: Path) -> Service:
    """Load one service file; raises KnowledgeBaseError naming the file and field."""
    return _service_from(_read_mapping(path), path, path.stem)


def load_knowledge_base(root: Path | str | None = None, *, lang: str | None = None) -> KnowledgeBase:
    """Load the whole knowledge base and check references between files.

    `lang` None or "en": the English base files, exactly as before languages existed. Another code:
    the same services and hall with the text of `<root>/lang/<code>/` (whether that language is
    enabled is the caller's business; `python -m kb validate` checks every enabled one).
    """
    root = Path(root or os.environ.get(KB_DIR_ENV) or DEFAULT_DATA_DIR)
    base, raws = _load_base(root)
    if not lang or lang == BASE_LANGUAGE:
        return base
    return _load_language(base, raws, lang)


def check_languages(root: Path | str | None = None, languages: tuple[str, ...] | None = None) -> list[str]:
    """Every problem of the base files and of each language in `languages` (default: the enabled ones)."""
    root = Path(root or os.environ.get(KB_DIR_ENV) or DEFAULT_DATA_DIR)
    try:
        base, raws = _load_base(root)
    except KnowledgeBaseError as exc:
        return exc.problems
    problems: list[str] = []
    for lang in languages or enabled_languages():
        if lang == BASE_LANGUAGE:
            continue
        try:
            _load_language(base, raws, lang)
        except KnowledgeBaseError as exc:
            problems.extend(exc.problems)
    return problems


def _load_language(base: KnowledgeBase, raws: dict[str, dict], lang: str) -> KnowledgeBase:
    """The base knowledge base with one language's text laid over it (kb/overlay.py)."""
    folder = base.root / LANG_DIR / lang
    if not folder.is_dir():
        hint = "add the folder, or drop the language from LOBBY_LANGUAGES"
        raise KnowledgeBaseError([f"{folder}: missing; language {lang!r} is enabled but has no text ({hint})"])
    problems: list[str] = []
    services: dict[str, Service] = {}
    for service_id in base.services:
        path = folder / "services" / f"{service_id}.yml"
        if not path.exists():
            problems.append(f"{path}: missing; every service needs its {lang} text ({service_id})")
            continue
        merged = _merge(Service, raws[service_id], path, problems)
        if merged is None:
            continue
        try:
            services[service_id] = _service_from(merged, path, service_id)
        except KnowledgeBaseError as exc:
            problems.extend(exc.problems)
    for path in sorted((folder / "services").glob("*.yml")):
        if path.stem not in base.services:
            problems.append(f"{path}: no service {path.stem!r} in the English files ({base.root / 'services'})")
    hall: Hall | None = None
    hall_path = folder / "hall.yml"
    if not hall_path.exists():
        problems.append(f"{hall_path}: missing; the hall needs its {lang} text")
    else:
        merged = _merge(Hall, raws["hall.yml"], hall_path, problems)
        if merged is not None:
            try:
                hall = Hall.model_validate(merged)
            except ValidationError as exc:
                problems.extend(_format_error(hall_path, exc))
    if problems:
        raise KnowledgeBaseError(problems)
    assert hall is not None
    return KnowledgeBase(services=services, hall=hall, root=base.root, lang=lang)


def write_templates(root: Path | str | None, lang: str) -> list[Path]:
    """Create the files `lang` is missing, each holding the English text marked TODO; never overwrites.

    The quickest way for a centre to add a language or a new service's text: run this, then write over
    every TODO (validation refuses the file while any is left).
    """
    root = Path(root or os.environ.get(KB_DIR_ENV) or DEFAULT_DATA_DIR)
    base, raws = _load_base(root)
    folder = root / LANG_DIR / lang
    wanted = [(folder / "services" / f"{sid}.yml", Service, raws[sid], f"services/{sid}.yml") for sid in base.services]
    wanted.append((folder / "hall.yml", Hall, raws["hall.yml"], "hall.yml"))
    written = []
    for path, model, raw, english in wanted:
        if path.exists():
            continue
        header = (
            f"# The {lang} text of {english}: write over every 'TODO: <English>' (aliases, keywords and situations in\n"
            "# the citizens' own words, as many as they need). Facts (windows, fees, dates) stay in the English file.\n"
        )
        body = yaml.safe_dump(template(model, raw), allow_unicode=True, sort_keys=False, width=1000)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + body, encoding="utf-8")
        written.append(path)
    return written


def _merge(model: type, base_raw: dict, path: Path, problems: list[str]) -> dict | None:
    try:
        raw = _read_mapping(path)
    except KnowledgeBaseError as exc:
        problems.extend(exc.problems)
        return None
    found: list[str] = []
    merged = overlay(model, base_raw, raw, found)
    problems.extend(f"{path}: {p}" for p in found)
    return None if found else merged


def _load_base(root: Path) -> tuple[KnowledgeBase, dict[str, dict]]:
    """The English knowledge base, and the raw mappings other languages are laid over."""
    problems: list[str] = []
    services: dict[str, Service] = {}
    raws: dict[str, dict] = {}
    broken: set[str] = set()  # files already reported; references to them are not problems of their own
    service_files = sorted((root / "services").glob("*.yml"))
    if not service_files:
        problems.append(f"{root / 'services'}: no service files (*.yml) found")
    for path in service_files:
        try:
            raw = _read_mapping(path)
            service = _service_from(raw, path, path.stem)
        except KnowledgeBaseError as exc:
            problems.extend(exc.problems)
            broken.add(path.stem)
            continue
        services[service.id] = service
        raws[service.id] = raw

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
            else:
                raws["hall.yml"] = raw
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
    return KnowledgeBase(services=services, hall=hall, root=root), raws
