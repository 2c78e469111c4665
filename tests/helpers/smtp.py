"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd, the `ttx demo-mailbox` catcher).

    def test_x(smtp_server: MailCatcher) -> None:
        settings = Settings(..., smtp_url=smtp_server.url)
        ...
        [message] = smtp_server.wait_for(1)
        assert "référence" in message.text

Import the fixtures from another folder's conftest with
`from tests.helpers.smtp import smtp_server  # noqa: F401` (tests/conftest.py already does,
so every test may ask for `smtp_server`). `tls_pair()` makes a throw-away certificate for
`smtps://` and `smtp+starttls://` servers and the client context that trusts it."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.mail.demo_mailbox import Caught, MailCatcher

__all__ = ["Caught", "MailCatcher", "accept_login", "smtp_server", "tls_pair"]


@pytest.fixture
def smtp_server() -> Iterator[MailCatcher]:
    """A plain SMTP server on 127.0.0.1 (a free port); `.url` is its `TTX_SMTP_URL`."""
    with MailCatcher("127.0.0.1", 0) as catcher:
        yield catcher


def accept_login(user: str, password: str):  # type: ignore[no-untyped-def]
    """An aiosmtpd authenticator accepting one user name and password."""

    def check(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    return check


def tls_pair() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a fresh self-signed certificate for 127.0.0.1 and localhost,
    and a client context that trusts that certificate only."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client
