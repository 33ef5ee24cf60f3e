"""Log lines as text or as one JSON object each, carrying the request ID of the request that wrote them.

The request ID is set by ``web.observability.RequestIds`` for each HTTP request (taken from a sane
``X-Request-ID`` header or made up) and read here through a context variable, so any logger anywhere in a
request's call stack writes it without being handed it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
from typing import Any

__all__ = ["FORMATS", "JsonFormatter", "configure", "request_id", "uvicorn_log_config"]

FORMATS = ("text", "json")
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("registry_request_id", default=None)

#: Attributes every LogRecord has; anything else was passed with ``extra=`` and goes into the JSON object.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            out["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = request_id.get()
        return line if rid is None else f"{line} [request {rid}]"


def _formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else _TextFormatter("%(levelname)s %(name)s: %(message)s")


def configure(fmt: str, level: int = logging.WARNING) -> None:
    """Root logging for CLI commands and the server (replaces earlier handlers)."""
    handler = logging.StreamHandler()
    handler.setFormatter(_formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def uvicorn_log_config(fmt: str, level: str) -> dict[str, Any]:
    """uvicorn's own loggers in the same format. Access lines come from ``web.observability`` (with the request
    ID, operation and duration), so uvicorn's access logger is silenced."""
    formatter = {"()": JsonFormatter} if fmt == "json" else {"()": _TextFormatter,
                                                            "fmt": "%(levelname)s %(name)s: %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"registry": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "registry",
                                "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
    }
