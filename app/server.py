"""How `ttx serve` runs uvicorn: which proxies are believed, and how big a request head may be.

- **Client address.** uvicorn believes `X-Forwarded-For` from 127.0.0.1 by default, so a
  local caller could pick any address per request and escape the public rate limit. Here
  proxy headers are read only from `TTX_TRUSTED_PROXIES` (CIDRs, default none); behind a load
  balancer, list its addresses and each user is counted on their own address again.
- **Access log.** A query string can hold a postal code, a place name or a key someone put
  in a URL; beside the client address that is personal data. `RedactQuery` logs the path
  only (`/v1/locations/resolve?…`).
- **Request head.** httptools, uvicorn's fast parser, buffers header lines of any length and
  any number of headers. `BoundedHttpToolsProtocol` counts the bytes of each request head as
  they arrive and its headers as they are parsed, and answers `431 Request Header Fields Too
  Large` (then closes) past `TTX_MAX_HEADER_BYTES` or `TTX_MAX_HEADERS`, before the rest is
  read. (`h11_max_incomplete_event_size` bounds the same should h11 be chosen instead.)
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol  # uvicorn[standard]

from app.settings import Settings


def _431(detail: str) -> bytes:
    body = json.dumps(
        {
            "type": "https://trouvetonx.example.org/problems/header-too-large",
            "title": "En-têtes de requête trop grands",
            "status": 431,
            "detail": detail,
            "code": "header-too-large",
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    return b"".join(
        [
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
            b"content-type: application/problem+json\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
            body,
        ]
    )


def bounded_protocol(max_bytes: int, max_headers: int) -> type[Any]:
    """An httptools protocol class with these bounds on each request head."""

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        _head_bytes = 0
        _header_count = 0
        _in_head = True

        def data_received(self, data: bytes) -> None:
            if self._in_head:
                self._head_bytes += len(data)
                if self._head_bytes > max_bytes:
                    self._refuse(f"l'en-tête de la requête dépasse {max_bytes} octets")
                    return
            super().data_received(data)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_head, self._header_count = True, 0

        def on_header(self, name: bytes, value: bytes) -> None:
            self._header_count += 1
            if self._header_count > max_headers:
                self._refuse(f"la requête porte plus de {max_headers} en-têtes")
                raise _Refused
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head, self._head_bytes = False, 0
            super().on_headers_complete()

        def _refuse(self, detail: str) -> None:
            if not self.transport.is_closing():
                self.transport.write(_431(detail))
                self.transport.close()

    return BoundedHttpToolsProtocol


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a refused request."""


class RedactQuery(logging.Filter):
    """Drop the query string from uvicorn's access-log lines (the path stays)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, mark, _ = args[2].partition("?")
            if mark:
                record.args = (*args[:2], path + "?…", *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with `RedactQuery` on the access log."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_query"] = {"()": RedactQuery}
    config["handlers"]["access"]["filters"] = ["redact_query"]
    return config


def trusted_proxies(settings: Settings) -> list[str]:
    return [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments `ttx serve` gives `uvicorn.run`, besides the app, host and port."""
    proxies = trusted_proxies(settings)
    options: dict[str, Any] = {
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or [],
        "server_header": False,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "timeout_keep_alive": 5,
        "log_config": log_config(),
        "http": bounded_protocol(settings.max_header_bytes, settings.max_headers),
    }
    return options
