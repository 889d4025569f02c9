"""Structured logs: one JSON object per line, for log shippers (``CARBON_LEDGER_LOG_FORMAT``).

Each line has ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, the exception's
traceback when there is one, and any ``extra={...}`` fields the call passed, so a request id or
a tx hash is a field to filter on rather than text to parse.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["json", "text"]
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        return json.dumps(entry, default=str, ensure_ascii=False)


UVICORN_OPTIONS: dict[str, Any] = {
    "log_level": "info",
    "log_config": None,  # keep the handler ``configure`` installed
    "access_log": False,
}
"""What every uvicorn server of the API runs with."""


def configure(level: str, fmt: LogFormat, *, prefix: str = "") -> None:
    """Route every logger (uvicorn's included) through one handler on stderr."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s %(levelname)s {prefix}%(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
