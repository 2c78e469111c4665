"""`ttx demo-mailbox`: a local SMTP server (aiosmtpd) that keeps every message and prints it
with its links, so `make run` needs no mail server (development only). Tests use the same
catcher on 127.0.0.1 (`tests/helpers/smtp.py`)."""

from __future__ import annotations

import asyncio
import email
import re
import ssl
import sys
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any, TextIO

from aiosmtpd.smtp import SMTP, Envelope, Session

from app.textsafe import for_terminal

MAX_MESSAGE_BYTES = 2 * 1024 * 1024
_LINK = re.compile(r"https?://[^\s<>\"')]+")


@dataclass(frozen=True, slots=True)
class Caught:
    """One message as the server received it."""

    sender: str
    recipients: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=default_policy)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    def body(self, subtype: str = "plain") -> str:
        """The decoded `text/<subtype>` part ('' when there is none)."""
        part = self.message.get_body(preferencelist=(subtype,))
        return str(part.get_content()) if part is not None else ""

    @property
    def text(self) -> str:
        return self.body("plain")

    @property
    def html(self) -> str:
        return self.body("html")

    @property
    def links(self) -> list[str]:
        """The links of the plain-text part, in order, each once."""
        return list(dict.fromkeys(_LINK.findall(self.text)))

    def decoded(self) -> str:
        """Every header and every decoded part, as one text (for searching a message)."""
        message = self.message
        heads = "\n".join(f"{k}: {v}" for k, v in message.items())
        parts = [str(p.get_content()) for p in message.walk() if p.get_content_maintype() == "text"]
        return "\n".join([heads, *parts])


class _Handler:
    def __init__(self, catcher: MailCatcher) -> None:
        self.catcher = catcher

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self.catcher.refusal_for(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        answer = self.catcher.next_answer()
        if answer:
            return answer
        raw = envelope.original_content or b""
        if isinstance(envelope.content, bytes):
            raw = envelope.content
        caught = Caught(str(envelope.mail_from), tuple(envelope.rcpt_tos), raw)
        self.catcher.keep(caught)
        return "250 Message accepted for delivery"


class MailCatcher:
    """An SMTP server in a thread of its own, on `host`:`port` (0: a free port, read back
    from `.port`). Keeps what it receives in `.messages`; prints each one when given `out`.

    `smtp_options` go to aiosmtpd's `SMTP` (STARTTLS, AUTH…); `tls` wraps every connection
    in TLS from the first byte (smtps). Tests can make it answer the next messages with an
    error (`fail_next`) or refuse some recipients (`refuse`)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        out: TextIO | None = None,
        tls: ssl.SSLContext | None = None,
        **smtp_options: Any,
    ) -> None:
        self.host, self.port, self.out, self.tls = host, port, out, tls
        self.smtp_options = {"data_size_limit": MAX_MESSAGE_BYTES, **smtp_options}
        self.messages: list[Caught] = []
        self._answers: list[str] = []
        self._refused: dict[str, str] = {}
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._protocols: list[SMTP] = []

    @property
    def url(self) -> str:
        """The `TTX_SMTP_URL` that reaches it (plain SMTP; TLS callers build their own)."""
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> MailCatcher:
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run, args=(ready, failure), name="mail-catcher", daemon=True
        )
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            server = loop.run_until_complete(
                loop.create_server(self._protocol, self.host, self.port, ssl=self.tls)
            )
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            loop.close()
            return
        self._server = server
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            self._close_connections(loop)
            loop.run_until_complete(server.wait_closed())
            loop.close()

    def _close_connections(self, loop: asyncio.AbstractEventLoop) -> None:
        # Connections still open (a client that never said QUIT), and their tasks, end here
        # rather than being left to the garbage collector.
        for protocol in self._protocols:
            if isinstance(protocol.transport, asyncio.WriteTransport):
                protocol.transport.abort()
            elif protocol.transport is not None:
                protocol.transport.close()
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(asyncio.sleep(0.05))  # closing transports finish closing

    def _protocol(self) -> SMTP:
        protocol = SMTP(_Handler(self), hostname="mailbox.localhost", **self.smtp_options)
        self._protocols.append(protocol)
        return protocol

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> MailCatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def keep(self, caught: Caught) -> None:
        with self._arrived:
            self.messages.append(caught)
            self._arrived.notify_all()
        if self.out is not None:
            self.out.write(for_terminal(format_message(caught)))
            self.out.flush()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Caught]:
        """Wait until `count` messages have arrived (or `timeout`); return them all."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)

    def fail_next(self, *answers: str) -> None:
        """Answer the next messages' DATA with these replies (`451 4.3.0 Try later`)."""
        with self._lock:
            self._answers.extend(answers)

    def next_answer(self) -> str | None:
        with self._lock:
            return self._answers.pop(0) if self._answers else None

    def refuse(self, address: str, reply: str = "550 5.1.1 No such user") -> None:
        with self._lock:
            self._refused[address.lower()] = reply

    def refusal_for(self, address: str) -> str | None:
        with self._lock:
            return self._refused.get(address.lower())


def format_message(caught: Caught) -> str:
    """A readable summary of one message: who, what, its text and its links."""
    message = caught.message
    lines = [
        f"── {message['Date']} · {message['Message-ID']}",
        f"   From:    {message['From']}",
        f"   To:      {', '.join(caught.recipients)}",
        f"   Subject: {caught.subject}",
        "",
        *("   " + line for line in caught.text.rstrip().splitlines()),
    ]
    if caught.links:
        lines += ["", "   Links:", *(f"   → {link}" for link in caught.links)]
    return "\n".join(lines) + "\n\n"


def serve_demo_mailbox(host: str = "127.0.0.1", port: int = 8025) -> None:
    """Receive and print messages until interrupted."""
    catcher = MailCatcher(host, port, out=sys.stdout).start()
    sys.stdout.write(
        f"Demo mailbox listening on {catcher.url}\n"
        f"Start the service with TTX_SMTP_URL={catcher.url}; each message prints here.\n\n"
    )
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        catcher.stop()
