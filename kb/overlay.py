"""Language files: another language's text laid over the English base files.

`data/lang/zh/services/id_card.yml` mirrors `data/services/id_card.yml` but holds only the fields the
schema marks as language text (kb.schema: `Text`, `Words`). Everything else (ids, windows, floors,
fees, dates, URLs) exists once, in the base file, so the two languages cannot disagree on a fact.

Why overlay files rather than per-field language maps: the English files stay as they are (other
people edit them), a centre can hand one folder to a translator, and a language is added or removed
by adding or removing a folder.

The rules, checked here field by field so every problem names the file and the field:

* a text field the base file fills must be filled here too ("missing");
* a field the base file leaves out, or that is not language text, must not appear here;
* translated lists (`eligibility`, `steps`, `materials`, `zones`, ...) keep the base file's length and
  order; items that carry an id (zones, facilities, kiosks) or a date (closed days) repeat it, so a
  reordered list is caught instead of mislabelling a window;
* `Words` lists (names, aliases, keywords, situations) are written afresh in each language and may be
  longer or shorter than the English ones.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel

from kb.schema import Lang

Kind = Literal["text", "text_list", "words", "model", "model_list"]


@dataclass(frozen=True)
class Slot:
    """How one field of a model takes language text."""

    kind: Kind
    model: type[BaseModel] | None = None


def _slot(annotation: Any) -> Slot | None:
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *meta = get_args(annotation)
        for mark in meta:
            if isinstance(mark, Lang):
                if get_origin(base) is list:
                    return Slot("text_list" if mark.aligned else "words")
                return Slot("text")
        return _slot(base)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return _slot(args[0]) if len(args) == 1 else None
    if origin is list:
        (item,) = get_args(annotation)
        inner = _slot(item)
        if inner is not None and inner.kind == "text":
            return Slot("text_list")
        if inner is not None and inner.kind == "model":
            return Slot("model_list", inner.model)
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and text_fields(annotation):
        return Slot("model", annotation)
    return None


@cache
def text_fields(model: type[BaseModel]) -> dict[str, Slot]:
    """The fields of `model` that hold language text (directly or inside nested models)."""
    hints = get_type_hints(model, include_extras=True)
    slots = {}
    for name in model.model_fields:
        slot = _slot(hints[name])
        if slot is not None:
            slots[name] = slot
    return slots


def _key(model: type[BaseModel]) -> str | None:
    return getattr(model, "LANG_KEY", None)


def _needed(slot: Slot, value: Any) -> bool:
    """Whether a base value obliges the language file to carry the field."""
    if value is None:
        return False
    if slot.kind in ("text_list", "words"):
        return bool(value)
    if slot.kind == "model":
        return isinstance(value, dict) and _needs_any(slot.model, value)
    if slot.kind == "model_list":
        return isinstance(value, list) and any(isinstance(v, dict) and _needs_any(slot.model, v) for v in value)
    return True


def _needs_any(model: type[BaseModel], base: dict) -> bool:
    return any(_needed(slot, base.get(name)) for name, slot in text_fields(model).items())


def _preview(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= 50 else text[:47] + "..."


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


TODO = "TODO: "  # marks the English text of a template (`python -m kb template`) that nobody has written over yet


def _unwritten(values: list[str]) -> bool:
    return any(v.lstrip().startswith(TODO.strip()) for v in values)


def overlay(model: type[BaseModel], base: dict, lang: Any, problems: list[str], where: str = "") -> dict:
    """`base` with the language file's text laid over it; every mismatch is appended to `problems`.

    Problems are `field '<path>': <what is wrong>`; the caller prefixes the file.
    """

    def field(name: str | int) -> str:
        return f"{where}.{name}" if where else str(name)

    if not isinstance(lang, dict):
        problems.append(f"field '{where or '(top level)'}': expected a mapping of fields, got {type(lang).__name__}")
        return base
    slots = text_fields(model)
    key = _key(model)
    merged = dict(base)
    for name, value in lang.items():
        name = str(name)
        if name == key:
            if str(value) != str(base.get(key)):
                problems.append(
                    f"field '{field(name)}': {value!r} but the English file has {base.get(key)!r} here "
                    "(keep the English order and ids)"
                )
            continue
        slot = slots.get(name)
        if slot is None:
            if name in model.model_fields:
                problems.append(f"field '{field(name)}': not language text; it belongs in the English file only")
            else:
                problems.append(f"field '{field(name)}': no such field (check the spelling against the English file)")
            continue
        if base.get(name) is None and slot.kind != "words":
            problems.append(f"field '{field(name)}': the English file does not have it; add it there or remove it")
            continue
        if slot.kind == "text":
            if not _is_text(value):
                problems.append(f"field '{field(name)}': must be text, got {_preview(value)}")
                continue
            if _unwritten([value]):
                problems.append(f"field '{field(name)}': not written yet (still the template's {_preview(value)})")
                continue
            merged[name] = value
        elif slot.kind == "words":
            if not isinstance(value, list) or not all(_is_text(v) for v in value):
                problems.append(f"field '{field(name)}': must be a list of words or sentences")
                continue
            if _unwritten(value):
                problems.append(f"field '{field(name)}': not written yet (items still start with {TODO.strip()})")
                continue
            merged[name] = value
        elif slot.kind == "text_list":
            if not isinstance(value, list) or not all(_is_text(v) for v in value):
                problems.append(f"field '{field(name)}': must be a list of texts")
                continue
            if _unwritten(value):
                problems.append(f"field '{field(name)}': not written yet (items still start with {TODO.strip()})")
                continue
            if len(value) != len(base[name]):
                problems.append(
                    f"field '{field(name)}': has {len(value)} items, the English file has {len(base[name])} "
                    "(one translation per item, same order)"
                )
                continue
            merged[name] = value
        elif slot.kind == "model":
            merged[name] = overlay(slot.model, base[name], value, problems, field(name))
        else:  # model_list
            if not isinstance(value, list) or len(value) != len(base[name]):
                got = f"{len(value)} items" if isinstance(value, list) else type(value).__name__
                problems.append(
                    f"field '{field(name)}': has {got}, the English file has {len(base[name])} (same items, same order)"
                )
                continue
            merged[name] = [
                overlay(slot.model, b, v, problems, field(f"{name}.{i}"))
                for i, (b, v) in enumerate(zip(base[name], value, strict=True))
            ]
    if key and key in base and key not in lang and _needs_any(model, base):
        problems.append(f"field '{field(key)}': missing; repeat the English file's {key} {base[key]!r} here")
    for name, slot in slots.items():
        if name not in lang and _needed(slot, base.get(name)):
            if slot.kind == "model":  # name the text fields inside ("fee.notes"), not the whole block
                overlay(slot.model, base[name], {}, problems, field(name))
            elif slot.kind == "model_list":
                problems.append(f"field '{field(name)}': missing; the English file has {len(base[name])} items")
            else:
                problems.append(f"field '{field(name)}': missing; the English file has {_preview(base[name])}")
    return merged


def template(model: type[BaseModel], base: dict) -> dict:
    """The language fields of a base mapping, each text marked TODO, for a writer to replace.

    Validation refuses any text still starting with TODO, so a half-written file cannot pass as done.
    """
    out: dict = {}
    key = _key(model)
    if key and key in base:
        out[key] = base[key]
    for name, slot in text_fields(model).items():
        value = base.get(name)
        if not _needed(slot, value):
            continue
        if slot.kind == "text":
            out[name] = TODO + value
        elif slot.kind in ("text_list", "words"):
            out[name] = [TODO + v for v in value]
        elif slot.kind == "model":
            out[name] = template(slot.model, value)
        else:
            out[name] = [template(slot.model, v) for v in value]
    return out
