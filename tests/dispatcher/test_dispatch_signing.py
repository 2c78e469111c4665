"""Our Standard Webhooks signatures, checked against the reference `standardwebhooks` package."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.dispatcher.delivery import Job
from app.dispatcher.signing import (
    SignatureError,
    generate_secret,
    secret_key,
    sign,
    signed_headers,
    verify,
)
from app.models import InboxEndpoint
from app.schemas.directory import InboxIn
from tests.helpers.dispatch import SECRET

BODY = '{"type":"referral.created","data":{"message":"Café à Trois-Rivières"}}'.encode()


def test_signature_equals_the_reference_implementation() -> None:
    ts = 1_790_000_000
    ours = sign(SECRET, "msg_abc", ts, BODY)
    theirs = Webhook(SECRET).sign("msg_abc", datetime.fromtimestamp(ts, UTC), BODY.decode())
    assert ours == theirs
    assert ours.startswith("v1,")


def test_reference_library_verifies_our_headers() -> None:
    headers = signed_headers(SECRET, "msg_1", BODY)
    assert Webhook(SECRET).verify(BODY, headers)["data"]["message"] == "Café à Trois-Rivières"


def test_reference_library_rejects_a_tampered_body() -> None:
    headers = signed_headers(SECRET, "msg_1", BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY.replace(b"Caf", b"Kaf"), headers)


def test_we_verify_what_the_reference_library_signs() -> None:
    ts = int(time.time())
    signature = Webhook(SECRET).sign("msg_2", datetime.fromtimestamp(ts, UTC), BODY.decode())
    headers = {"Webhook-Id": "msg_2", "Webhook-Timestamp": str(ts), "Webhook-Signature": signature}
    assert verify(SECRET, headers, BODY) == "msg_2"


@pytest.mark.parametrize(
    "change",
    [
        {"webhook-signature": "v1,AAAA"},
        {"webhook-id": "msg_other"},
        {"webhook-timestamp": str(int(time.time()) - 3600)},
        {"webhook-timestamp": "yesterday"},
        {"webhook-signature": ""},
    ],
)
def test_verify_refuses_bad_headers(change: dict[str, str]) -> None:
    headers = signed_headers(SECRET, "msg_3", BODY) | change
    with pytest.raises(SignatureError):
        verify(SECRET, headers, BODY)


def test_verify_refuses_another_secret() -> None:
    headers = signed_headers(generate_secret(), "msg_4", BODY)
    with pytest.raises(SignatureError):
        verify(SECRET, headers, BODY)


def test_any_of_several_signatures_may_match_during_rotation() -> None:
    headers = signed_headers(SECRET, "msg_5", BODY)
    old = sign(generate_secret(), "msg_5", int(headers["webhook-timestamp"]), BODY)
    headers["webhook-signature"] = f"{old} {headers['webhook-signature']}"
    assert verify(SECRET, headers, BODY) == "msg_5"
    assert Webhook(SECRET).verify(BODY, headers)


def test_generated_secrets_are_accepted_by_the_reference_library() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_") and len(secret_key(secret)) == 24
    headers = signed_headers(secret, "msg_6", BODY)
    assert Webhook(secret).verify(BODY, headers)


@pytest.mark.parametrize("bad", ["whsec_", "whsec_not base64!"])
def test_malformed_secrets_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="secret"):
        secret_key(bad)


def test_the_signing_secret_stays_out_of_reprs() -> None:
    url = "https://inbox.example.org/hook"
    job = Job(uuid.uuid4(), "msg_1", 1, uuid.uuid4(), url, SECRET, b"{}")
    shown = [
        repr(job),
        repr(InboxEndpoint(url=url, secret=SECRET)),
        repr(InboxIn(url=url, secret=SECRET)),
    ]
    assert all(url in text and SECRET not in text for text in shown)
    assert job.secret == SECRET
