"""`ttx demo-inbox`: a local receiver that checks each webhook's signature and prints the
referral, so a newcomer sees a request arrive (development only; stdlib HTTP server)."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO

from app.dispatcher.signing import SignatureError, generate_secret, verify
from app.textsafe import for_terminal

MAX_BODY = 1024 * 1024


class DemoInbox(ThreadingHTTPServer):
    """The receiver; remembers webhook ids to show what a de-duplicating receiver does."""

    daemon_threads = True

    def __init__(self, host: str, port: int, secret: str, out: TextIO) -> None:
        super().__init__((host, port), _Handler)
        self.secret = secret
        self.out = out
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/inbox"

    def receive(self, headers: dict[str, str], body: bytes) -> int:
        """Verify, print, and return the HTTP status to answer."""
        try:
            webhook_id = verify(self.secret, headers, body)
        except SignatureError as exc:
            self._print(f"!! refused a request whose signature does not verify: {exc}\n")
            return 401
        try:
            payload = json.loads(body)
        except ValueError:
            self._print(f"!! {webhook_id}: the body is not JSON\n")
            return 400
        with self.lock:
            duplicate = webhook_id in self.seen
            self.seen.add(webhook_id)
        if duplicate:
            self._print(f"(again: {webhook_id}, already received; a receiver ignores it)\n")
        else:
            self._print(format_event(webhook_id, payload))
        return 204

    def _print(self, text: str) -> None:
        with self.lock:
            self.out.write(for_terminal(text))  # a referral's text may hold escape sequences
            self.out.flush()


class _Handler(BaseHTTPRequestHandler):
    server: DemoInbox
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            self._answer(413)
            return
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        self._answer(self.server.receive(headers, body))

    def do_GET(self) -> None:
        self._answer(200, b"Trouve ton X demo inbox: POST signed webhooks here.\n")

    def _answer(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the referral printout is the log


def format_event(webhook_id: str, payload: dict[str, Any]) -> str:
    """A readable summary of one webhook body (DESIGN §8)."""
    data = payload.get("data") or {}
    lines = [f"── {payload.get('type')} · {webhook_id} · {payload.get('timestamp')}"]
    rows = [
        ("Centre", data.get("centre_ref")),
        ("Referral", data.get("referral_id")),
        ("Consultation", data.get("consultation_id")),
        ("Person", _person(data.get("person") or {})),
        ("Criteria", _criteria(data.get("criteria") or {})),
        ("Message", data.get("message")),
        ("Match", _match(data.get("match") or {})),
    ]
    lines += [f"   {label:<13}{value}" for label, value in rows if value]
    return "\n".join(lines) + "\n\n"


def _person(person: dict[str, Any]) -> str:
    name = " ".join(str(person[k]) for k in ("first_name", "last_name") if person.get(k))
    contact = [person.get("email"), person.get("phone")]
    if person.get("preferred_contact"):
        contact.append(f"prefers {person['preferred_contact']}")
    if person.get("language"):
        contact.append(str(person["language"]))
    return " · ".join(str(part) for part in [name, *contact] if part)


def _criteria(criteria: dict[str, Any]) -> str:
    parts = []
    for key, value in criteria.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else json.dumps(value)
        parts.append(f"{key}: {shown}")
    return "; ".join(parts)


def _match(match: dict[str, Any]) -> str:
    reasons = [
        r.get("en") or r.get("code") if isinstance(r, dict) else r
        for r in match.get("reasons") or []
    ]
    head = f"rank {match.get('rank')} · score {match.get('score')}" if match else ""
    return f"{head} · {', '.join(map(str, reasons))}" if reasons else head


def make_demo_inbox(
    host: str = "127.0.0.1", port: int = 8765, secret: str | None = None, out: TextIO | None = None
) -> DemoInbox:
    """The receiver, bound but not yet serving (tests call `serve_forever` in a thread)."""
    return DemoInbox(host, port, secret or generate_secret(), out or sys.stdout)


def serve_demo_inbox(host: str = "127.0.0.1", port: int = 8765, secret: str | None = None) -> None:
    """Receive and print webhooks until interrupted. Without `secret`, one is made and printed,
    to register with the demo centre's inbox."""
    inbox = make_demo_inbox(host, port, secret)
    inbox.out.write(
        f"Demo inbox listening on {inbox.url}\n"
        f"Secret: {inbox.secret}\n"
        "Register this URL and secret as a centre's inbox; each referral prints here.\n\n"
    )
    inbox.out.flush()
    try:
        inbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        inbox.server_close()
