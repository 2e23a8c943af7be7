"""Logging for the CLI: human lines by default, one JSON object per line for log shippers."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

_NOISE = (
    "apitools not found",  # Beam's GCP IO probing for optional packages
    "Resource module is not available",  # Beam's memory probe on this platform
    "BatchElements statistics",  # logged for every bundle
    "Converting string literal type hint",  # Beam reading postponed annotations
)
# Attributes every LogRecord has; anything else was passed with `extra=` and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _quiet_known_noise(record: logging.LogRecord) -> bool:
    return not any(str(record.msg).startswith(prefix) for prefix in _NOISE)


def configure(verbose: bool, fmt: str) -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_quiet_known_noise)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    # Summaries are the point of a long run: shown whatever the level.
    logging.getLogger("newswire.summary").setLevel(logging.INFO)
