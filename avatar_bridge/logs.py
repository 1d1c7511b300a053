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
