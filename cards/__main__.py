"""`python -m cards [--check]`: write (or check) the card JSON Schema beside the protocol schemas."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cards.model import json_schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "avatar_bridge" / "schemas" / "card.json"


def rendered() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cards", description=__doc__)
    p.add_argument("--check", action="store_true", help="fail if the schema file is not what the models generate")
    a = p.parse_args(argv)
    text = rendered()
    if a.check:
        current = SCHEMA_FILE.read_text() if SCHEMA_FILE.exists() else ""
        if current != text:
            print(f"{SCHEMA_FILE} is out of date: run `python -m cards`", file=sys.stderr)
            return 1
        print(f"{SCHEMA_FILE} is current")
        return 0
    SCHEMA_FILE.write_text(text)
    print(f"wrote {SCHEMA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
