"""Log policy: what citizens say or hear never reaches a log unless an operator switches it on.

Logs are kept longer, copied further and read by more people than conversations are, so a log line
keeps its place and its figures (session, turn, timings) but shows a message as its length only.
`LOBBY_LOG_TEXT=1` (for a debugging session, never in production) puts the text back.
Standard library only: the bridge, the action server and Rasa-side components all import it.
"""

from __future__ import annotations

import os

ENV = "LOBBY_LOG_TEXT"


def log_text_enabled() -> bool:
    """True when the operator explicitly asked for message text in the logs (read each time, so tests can flip it)."""
    return os.environ.get(ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def loggable(text: object) -> str:
    """What a log line may show of a message: the text itself only when LOBBY_LOG_TEXT is on, else its length."""
    if text is None:
        return "<none>"
    value = str(text)
    if log_text_enabled():
        return repr(value)
    return f"<{len(value)} chars>"
