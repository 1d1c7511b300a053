"""Collects what the servers under test log at ERROR or above (and any traceback), so a fuzz case that
made a server fail inside, even when the client got a polite answer, is caught.

The bridge and the trainer run in threads of the test process and log through the standard `logging`
module (uvicorn's own loggers do not propagate to the root) and, for Pipecat, through loguru: all three
are watched. Warnings are expected: every refused frame is one documented warning line. asyncio's "Task was
destroyed but it is pending" (a session that ended and left a task behind) is an ERROR like any other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from loguru import logger

WATCHED = ("", "uvicorn")  # uvicorn.error and uvicorn.access propagate to "uvicorn", which stops there


@dataclass
class LogWatch:
    lines: list[str] = field(default_factory=list)
    _handler: logging.Handler | None = None
    _sink: int | None = None

    def start(self) -> LogWatch:
        watch = self

        class _Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if record.levelno >= logging.ERROR or record.exc_info:
                    text = f"{record.levelname} {record.name}: {record.getMessage()}"
                    if record.exc_info:
                        text += " (Traceback)"
                    watch.lines.append(text)

        self._handler = _Handler(level=logging.DEBUG)
        for name in WATCHED:
            logging.getLogger(name).addHandler(self._handler)
        self._sink = logger.add(lambda m: self._loguru(m.record), level="ERROR")
        return self

    def _loguru(self, record: dict) -> None:
        self.lines.append(f"{record['level'].name} {record['name']}: {record['message']}")

    def stop(self) -> None:
        for name in WATCHED:
            logging.getLogger(name).removeHandler(self._handler)
        if self._sink is not None:
            logger.remove(self._sink)

    def take(self) -> list[str]:
        """The lines logged since the last call."""
        lines, self.lines = self.lines, []
        return lines
