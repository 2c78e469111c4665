"""Request ids and structured logs.

Every request has an id: the caller's `X-Request-ID` when it is a plain token, else a new
one; it is returned in the answer, kept in a context variable for the log lines written
while handling the request, stored with the webhooks the request enqueues and sent with them
(`X-Request-ID`), so a centre's report can be followed back to the request that caused it.

Logs are JSON lines in production (`TTX_LOG_FORMAT=json`), readable text in development.
They carry no personal data and no keys: the access line names the route template, never the
raw path or the query string (where a careless client may have put a key)."""

from __future__ import annotations

import contextvars
import itertools
import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Attributes of every LogRecord: what is left over was passed in `extra` and goes in the line.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


# A random prefix per process and a counter: unique, and far cheaper than a uuid4 per request
# (an id needs to be unique, not unguessable).
_PREFIX = uuid.uuid4().hex[:20]
_COUNTER = itertools.count(1)


def new_request_id() -> str:
    """32 hexadecimal digits, unique across processes and restarts."""
    return f"{_PREFIX}{next(_COUNTER) & 0xFFFFFFFFFFFF:012x}"


def accept_request_id(value: str | None) -> str:
    """The caller's id if it is a plain token of at most 64 characters, else a new one (an
    id is copied into logs and webhooks: nothing else may ride along)."""
    if value and _VALID_ID.fullmatch(value):
        return value
    return new_request_id()


def current_request_id() -> str | None:
    return REQUEST_ID.get()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and the `extra`
    fields given to the call."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and value is not None:
                line[key] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")


def configure(fmt: str = "text", level: str = "INFO") -> None:
    """Send the service's logs (and uvicorn's) to stderr in `fmt` (`json` or `text`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("httpx").setLevel(logging.WARNING)
