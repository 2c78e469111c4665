"""One ASGI middleware for every request: its id (`X-Request-ID` in and out, and in the
context of its log lines), its metrics by route template, and one access log line that
names the route template, never the raw path or the query string."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.ops.logs import REQUEST_ID, accept_request_id
from app.ops.metrics import HttpMetrics

access = logging.getLogger("ttx.access")
_HEADER = b"x-request-id"


class RequestContext:
    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == _HEADER), None)
        request_id = accept_request_id(given.decode("latin-1") if given else None)
        id_bytes = request_id.encode()
        token = REQUEST_ID.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (_HEADER, id_bytes)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.observe(method, template, status, seconds)
            if access.isEnabledFor(logging.INFO):
                access.info(
                    "%s %s %d %.1f ms",
                    method,
                    template,
                    status,
                    seconds * 1000,
                    extra={
                        "method": method,
                        "route": template,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 1),
                    },
                )
            REQUEST_ID.reset(token)
