"""Writes one benchmark's table into docs/benchmarks.md between its own markers.

Each benchmark owns a `<!-- name:begin -->` … `<!-- name:end -->` section, so
re-running one refreshes its numbers and leaves the others (and any prose
outside the markers) as they were.
"""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def write_section(name: str, section: str, doc: Path = DOC) -> None:
    """Replace the section `name` (its markers included in `section`), or append it when it is new."""
    begin, end = markers(name)
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")
