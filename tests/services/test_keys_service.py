"""API keys in `services.keys`, called directly: one role each, a centre key bound to a known
centre, the plaintext never stored, and what `authenticate` refuses."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import session_scope
from app.errors import InvalidInput, NotFound, Unauthorized
from app.models import ApiKey
from app.schemas.directory import CentreCreate
from app.services import centres, keys
from tests.helpers.factories import centre_record


def bearer(plaintext: str) -> str:
    return f"Bearer {plaintext}"


@pytest.fixture
def centre_id(engine: Engine) -> uuid.UUID:
    with session_scope(engine) as session:
        return centres.create_centre(session, CentreCreate.model_validate(centre_record("k-1"))).id


def test_a_key_is_stored_as_its_hash_only(session: Session) -> None:
    row, plaintext = keys.create_key(session, role="partner", label="Partenaire fictif")
    stored = session.get(ApiKey, row.id)
    assert stored is not None and plaintext.startswith("ttx_")
    assert stored.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert stored.prefix == plaintext[:12] and plaintext not in (stored.key_hash, stored.label)
    principal = keys.authenticate(session, bearer(plaintext))
    assert (principal.key_id, principal.role, principal.centre_id) == (row.id, "partner", None)


@pytest.mark.parametrize(
    ("role", "ref", "error", "code"),
    [
        ("root", None, InvalidInput, "key_role_unknown"),
        ("centre", None, InvalidInput, "key_centre_required"),
        ("centre", "no-such-centre", NotFound, "centre_ref_not_found"),
        ("admin", "k-1", InvalidInput, "key_centre_not_allowed"),
    ],
)
def test_roles_and_centres_are_checked(
    session: Session, centre_id: uuid.UUID, role: str, ref: str | None, error: type, code: str
) -> None:
    with pytest.raises(error) as refused:
        keys.create_key(session, role=role, centre_ref=ref)
    assert refused.value.code == code


def test_a_centre_key_names_its_centre(session: Session, centre_id: uuid.UUID) -> None:
    _, plaintext = keys.create_key(session, role="centre", centre_ref="k-1")
    assert keys.authenticate(session, bearer(plaintext)).centre_id == centre_id


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "auth_required"),
        ("", "auth_required"),
        ("Basic dXNlcjpwYXNz", "auth_malformed"),
        ("Bearer not-a-ttx-key", "auth_malformed"),
        ("Bearer ttx_" + "a" * 300, "auth_malformed"),
        ("Bearer ttx_" + "a" * 43, "auth_key_unknown"),
    ],
)
def test_what_authenticate_refuses(session: Session, header: str | None, code: str) -> None:
    with pytest.raises(Unauthorized) as refused:
        keys.authenticate(session, header)
    assert refused.value.code == code and refused.value.status == 401


def test_a_revoked_key_opens_nothing_and_revoking_again_keeps_the_date(
    session: Session,
) -> None:
    row, plaintext = keys.create_key(session, role="admin")
    first = keys.revoke_key(session, row.id).revoked_at
    assert first is not None
    assert keys.revoke_key(session, row.id).revoked_at == first
    with pytest.raises(Unauthorized) as refused:
        keys.authenticate(session, bearer(plaintext))
    assert refused.value.code == "auth_key_unknown"
    assert [k.id for k in keys.list_keys(session)] == [row.id]  # listed, revoked


def test_revoking_an_unknown_key_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound) as refused:
        keys.revoke_key(session, uuid.uuid4())
    assert refused.value.code == "key_not_found"


def test_a_deactivated_centres_key_opens_nothing(session: Session, centre_id: uuid.UUID) -> None:
    _, plaintext = keys.create_key(session, role="centre", centre_ref="k-1")
    centres.deactivate_centre(session, centre_id)
    with pytest.raises(Unauthorized) as refused:
        keys.authenticate(session, bearer(plaintext))
    assert refused.value.code == "auth_centre_inactive"
