"""The NLU training data in data/nlu/*.yml: read, add, edit, move and delete examples.

Files are rewritten with ruamel.yaml in round-trip mode, so comments, key order, block style and
indentation survive; only the changed `examples: |` block differs. Every change goes through the
same checks: no personal data, no held-back test phrases, no duplicate, and no text that is
already labelled with another intent (the trainer is told where, and can move it instead).
"""

from __future__ import annotations

import fcntl
import io
import os
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from kb.languages import BASE_LANGUAGE
from trainer.config import Settings
from trainer.language import file_language, message_language
from trainer.masking import find_personal_data

_ENTITY = re.compile(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))")
_LOCK = threading.Lock()


class Refused(Exception):
    """A change that would make the data wrong; the message says why and what to do instead."""


@dataclass(frozen=True)
class Example:
    intent: str
    raw: str  # as written in the file, with entity markup
    file: Path
    index: int  # position inside its intent block

    @property
    def text(self) -> str:
        return plain(self.raw)

    @property
    def language(self) -> str:
        return file_language(self.file.stem)


def plain(raw: str) -> str:
    return _ENTITY.sub(lambda m: m.group(1), raw)


def norm(text: str) -> str:
    """Comparison key: markup removed, lower case, punctuation and repeated spaces dropped."""
    t = plain(text).lower()
    t = re.sub(r"[^\w ]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def _yaml() -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 100000
    y.indent(mapping=2, sequence=2, offset=0)
    return y


def nlu_files(settings: Settings) -> list[Path]:
    """Hand-written NLU files (the generated knowledge-base synonyms are rebuilt before training)."""
    return sorted(p for p in settings.nlu_dir.glob("*.yml") if not p.name.startswith("generated"))


def _lines(block: str) -> list[str]:
    return [ln.strip()[2:] for ln in (block or "").splitlines() if ln.strip().startswith("- ")]


def load_examples(settings: Settings) -> list[Example]:
    out: list[Example] = []
    for path in nlu_files(settings):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in doc.get("nlu") or []:
            if "intent" in block:
                out += [Example(block["intent"], raw, path, i) for i, raw in enumerate(_lines(block.get("examples")))]
    return out


def domain_intents(settings: Settings) -> list[str]:
    doc = yaml.safe_load((settings.project / "domain.yml").read_text(encoding="utf-8")) or {}
    return [i if isinstance(i, str) else next(iter(i)) for i in doc.get("intents") or []]


def service_ids(settings: Settings) -> list[str]:
    return sorted(p.stem for p in (settings.data_dir / "services").glob("*.yml"))


def test_split_keys(settings: Settings) -> set[str]:
    """Every held-back phrase (all splits, both languages, conversations included): none may become training data."""
    from scoring.splits import load_citizen_split, load_rasa_split

    keys: set[str] = set()
    if settings.test_split.exists():
        keys |= {norm(q.text) for q in load_rasa_split(settings.test_split)}
    for split in (settings.citizen_split, settings.zh_split):
        if split and split.exists():
            questions, dialogues = load_citizen_split(split)
            keys |= {norm(q.text) for q in questions} | {norm(t.user) for d in dialogues for t in d.turns}
    return keys


def markup(text: str, span: str | None, service: str | None) -> str:
    """The example as Rasa wants it: `[span]{"entity": "service", "value": "<id>"}` around the span."""
    text = " ".join(text.split())
    if not span:
        if service:
            raise Refused("A service was chosen but no words of the message were marked as naming it.")
        return text
    span = " ".join(span.split())
    if not service:
        raise Refused(f"Say which service '{span}' refers to.")
    at = text.find(span)
    if at < 0:
        raise Refused(f"'{span}' is not part of the message '{text}'.")
    return f'{text[:at]}[{span}]{{"entity": "service", "value": "{service}"}}{text[at + len(span) :]}'


def check_new_text(settings: Settings, intent: str, raw: str, ignore: Example | None = None) -> Example | None:
    """Refuse bad examples; returns the existing identical example (same intent) if there is one."""
    text = plain(raw).strip()
    if not text:
        raise Refused("An empty example cannot be added.")
    if text.startswith("/"):
        raise Refused("This is a button payload, not words a citizen said; it needs no training example.")
    if intent not in domain_intents(settings):
        raise Refused(f"'{intent}' is not an intent of this assistant (domain.yml).")
    pii = find_personal_data(text)
    if pii or "[id-card]" in text or "[phone]" in text or "[name]" in text:
        what = " and ".join(pii) or "a masked placeholder"
        raise Refused(f"The example contains {what}. Rephrase it without personal data before adding it.")
    key = norm(text)
    if key in test_split_keys(settings):
        raise Refused(
            "This phrase is in a held-back test split (tests/nlu/); training on it would make "
            "the evaluation meaningless. Add a different phrasing instead."
        )
    same = None
    for ex in load_examples(settings):
        if ignore is not None and ex == ignore:
            continue
        if norm(ex.raw) == key:
            if ex.intent != intent:
                raise Refused(
                    f"'{ex.text}' is already labelled '{ex.intent}' in {ex.file.relative_to(settings.project)}. "
                    f"One text cannot have two intents: if '{ex.intent}' is wrong, move that example to '{intent}' "
                    "in Intents instead."
                )
            same = ex
    return same


@contextmanager
def _locked(settings: Settings):
    settings.ensure_dirs()
    with _LOCK, open(settings.state_dir / "nlu.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _load(path: Path):
    return _yaml().load(path.read_text(encoding="utf-8"))


def _save(path: Path, doc) -> None:
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    tmp = path.with_suffix(".yml.tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.replace(tmp, path)


def _block(doc, intent: str):
    for block in doc.get("nlu") or []:
        if block.get("intent") == intent:
            return block
    return None


def _set_lines(block, lines: list[str]) -> None:
    block["examples"] = LiteralScalarString("".join(f"- {ln}\n" for ln in lines))


def target_file(settings: Settings, intent: str, language: str) -> Path:
    """Where a new example of `intent` in `language` goes.

    Another language than English has one file, `data/nlu/<code>.yml` (created when missing). English goes
    to the English file that already holds the intent's block, else to the first English file.
    """
    if language != BASE_LANGUAGE:
        return settings.nlu_dir / f"{language}.yml"
    base = [p for p in nlu_files(settings) if file_language(p.stem) == BASE_LANGUAGE]
    for path in base:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if any(b.get("intent") == intent for b in doc.get("nlu") or []):
            return path
    return base[0] if base else settings.nlu_dir / "nlu.yml"


def add_example(settings: Settings, intent: str, raw: str, language: str | None = None) -> tuple[bool, Path]:
    """Add one example to its language's file; (False, file) when it is already there with the same intent.

    Without `language`, the words decide (trainer/language.py); a move passes the language of the file the
    example came from, so a Chinese example with Latin words ("ok") stays in zh.yml.
    """
    with _locked(settings):
        same = check_new_text(settings, intent, raw)
        if same is not None:
            return False, same.file
        path = target_file(settings, intent, language or message_language(plain(raw)))
        doc = _load(path) if path.exists() else None
        if doc is None:
            doc = _yaml().load('version: "3.1"\nnlu: []\n')
        block = _block(doc, intent)
        if block is None:
            doc["nlu"].append({"intent": intent, "examples": LiteralScalarString("")})
            block = doc["nlu"][-1]
        _set_lines(block, _lines(block.get("examples")) + [raw])
        _save(path, doc)
        return True, path


def _find(settings: Settings, intent: str, index: int, file: str | None = None) -> Example:
    """The example at `index` of the intent's block in `file` (several files have a block of the same
    intent, e.g. nlu.yml and zh.yml, so an index alone is ambiguous; without a file, the first match)."""
    for ex in load_examples(settings):
        if ex.intent == intent and ex.index == index and (not file or ex.file.name == file):
            return ex
    raise Refused(f"There is no example {index + 1} under '{intent}' any more (the data changed); reload the page.")


def edit_example(
    settings: Settings, intent: str, index: int, raw: str, expected: str | None = None, file: str | None = None
) -> Example:
    with _locked(settings):
        old = _find(settings, intent, index, file)
        if expected is not None and old.raw != expected:
            raise Refused("That example was changed by someone else meanwhile; reload the page.")
        check_new_text(settings, intent, raw, ignore=old)
        doc = _load(old.file)
        block = _block(doc, intent)
        lines = _lines(block.get("examples"))
        lines[index] = " ".join(raw.split())
        _set_lines(block, lines)
        _save(old.file, doc)
        return old


def delete_example(
    settings: Settings, intent: str, index: int, expected: str | None = None, file: str | None = None
) -> Example:
    with _locked(settings):
        old = _find(settings, intent, index, file)
        if expected is not None and old.raw != expected:
            raise Refused("That example was changed by someone else meanwhile; reload the page.")
        doc = _load(old.file)
        block = _block(doc, intent)
        lines = _lines(block.get("examples"))
        del lines[index]
        _set_lines(block, lines)
        _save(old.file, doc)
        return old


def move_example(
    settings: Settings, intent: str, index: int, to_intent: str, expected: str | None = None, file: str | None = None
) -> Example:
    """Relabel an existing example: removed from its intent, added to the other one."""
    if to_intent == intent:
        raise Refused("The example is already under that intent.")
    if to_intent not in domain_intents(settings):
        raise Refused(f"'{to_intent}' is not an intent of this assistant (domain.yml).")
    old = delete_example(settings, intent, index, expected, file)
    try:
        add_example(settings, to_intent, old.raw, old.language)  # a Chinese example stays in zh.yml
    except Refused:
        add_example(settings, intent, old.raw, old.language)  # put it back: nothing is lost
        raise
    return old
