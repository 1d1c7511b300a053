"""One log level for the bridge and Pipecat.

Pipecat logs through loguru at DEBUG by default (several lines per frame
batch); a kiosk operator wants the bridge's own INFO lines and warnings.
"""

from __future__ import annotations

import logging
import sys

from loguru import logger


def configure_logging(level: str = "INFO", pipecat_level: str | None = None) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logger.remove()
    logger.add(sys.stderr, level=(pipecat_level or ("WARNING" if level.upper() == "INFO" else level)).upper())


class _ClientFaultFilter(logging.Filter):
    """A text frame that is not UTF-8 is the client's fault: uvicorn closes that connection (1007) and logs
    an ERROR with a traceback, so any client could fill the bridge's log with tracebacks (found by
    tests/fuzz). Here it is one warning line without the traceback; the connection is still closed."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and str(record.msg).startswith("Invalid UTF-8 sequence received"):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = "websocket closed (1007): a client sent a text frame that is not UTF-8", ()
            record.exc_info, record.exc_text = None, None
        return True


def quiet_client_faults() -> None:
    """Install the filter on uvicorn's error logger (once, however many apps a process creates)."""
    server_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _ClientFaultFilter) for f in server_log.filters):
        server_log.addFilter(_ClientFaultFilter())
