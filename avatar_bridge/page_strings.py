"""The pages' string tables (`web/js/strings/<language>.json`) for the pages the bridge writes itself.

The kiosk, the home page and the widget read these tables in the browser; the printable checklist and the
hall page are rendered here, from the same tables, so a centre edits each word in one place and a Chinese
citizen who follows a link from a Chinese card lands on a Chinese page.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from pathlib import Path

STRINGS_DIR = Path(__file__).resolve().parent / "web" / "js" / "strings"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@functools.cache
def strings(language: str | None = None) -> dict[str, str]:
    """The table of `language` (English for None or a language without a table)."""
    path = STRINGS_DIR / f"{language or 'en'}.json"
    if not path.exists():
        path = STRINGS_DIR / "en.json"
    return json.loads(path.read_text(encoding="utf-8"))


def fmt(template: str, **values: object) -> str:
    """A template with its {placeholders} filled (as i18n.js `fmt` does); a missing value leaves nothing."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "")), template)


def days_text(t: dict[str, str], days: Iterable[str]) -> str:
    """'Monday to Friday' / '周一至周五' from the knowledge base's day codes (as i18n.js `daysText`)."""
    idx = sorted({DAYS.index(d) for d in days if d in DAYS})
    if len(idx) > 2 and idx[-1] - idx[0] == len(idx) - 1:
        return fmt(t["dayRange"], first=t[f"day_{DAYS[idx[0]]}"], last=t[f"day_{DAYS[idx[-1]]}"])
    return t["daySep"].join(t[f"day_{DAYS[i]}"] for i in idx)
