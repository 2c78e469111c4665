"""One-time sign-in links and browser sessions (`app.services.signin`), for every kind of
account; staff accounts and their second factor (`app.services.staff_members`), with a
frozen clock; and `ttx staff`."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import db
from app.cli import main
from app.db import session_scope
from app.errors import Conflict, Gone, InvalidInput, NotFound
from app.models import SigninLink, StaffMember, WebSession
from app.services import signin, staff_members
from app.settings import Settings, get_settings
from tests.helpers.db import both_backends

T0 = datetime(2026, 12, 4, 14, 0, 0, tzinfo=UTC)
SUBJECT = uuid.UUID(int=42)


def _issue(session: Session, kind: signin.Kind = "staff", **kw: object) -> str:
    return signin.issue(
        session, kind=kind, subject_id=SUBJECT, email="ana@example.org", now=T0, **kw
    )  # type: ignore[arg-type]


@both_backends
def test_a_link_works_once_and_only_its_hash_is_stored(session: Session) -> None:
    token = _issue(session)
    stored = session.scalars(select(SigninLink)).one()
    assert token not in stored.token_hash and stored.token_hash == signin.digest(token)
    assert signin.check(session, kind="staff", token=token, now=T0).id == stored.id
    link = signin.redeem(session, kind="staff", token=token, now=T0 + timedelta(minutes=1))
    assert link.subject_id == SUBJECT and link.email == "ana@example.org"
    with pytest.raises(Gone) as again:
        signin.redeem(session, kind="staff", token=token, now=T0 + timedelta(minutes=2))
    assert again.value.code == "signin_link_used"
    with pytest.raises(Gone):
        signin.check(session, kind="staff", token=token, now=T0 + timedelta(minutes=2))


@both_backends
def test_expired_forged_and_other_kind_links_are_refused(session: Session) -> None:
    token = _issue(session)
    late = T0 + timedelta(minutes=signin.LINK_MINUTES)
    with pytest.raises(Gone) as expired:
        signin.redeem(session, kind="staff", token=token, now=late)
    assert expired.value.code == "signin_link_expired"
    for forged in (None, "", "x" * 10, "x" * 500, token[:-1] + ("A" if token[-1] != "A" else "B"),
                   "é" * 43, "\x00" * 43):  # fmt: skip
        with pytest.raises(NotFound):
            signin.check(session, kind="staff", token=forged, now=T0)
    with pytest.raises(NotFound):  # a staff link does not open a centre's inbox
        signin.check(session, kind="centre", token=token, now=T0)
    assert session.scalars(select(SigninLink)).one().used_at is None


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_redeems_at_once_sign_in_once(engine: Engine) -> None:
    with session_scope(engine) as s:
        token = signin.issue(s, kind="centre", subject_id=SUBJECT, email="a@example.org")
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def redeem() -> None:
        try:
            with session_scope(engine) as s:
                link = signin.check(s, kind="centre", token=token)
                barrier.wait(5)
                signin.redeem(s, kind="centre", token=token)
                assert link is not None
            outcomes.append("in")
        except Gone:
            outcomes.append("gone")

    threads = [threading.Thread(target=redeem) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["gone", "in"]


@both_backends
def test_a_session_lives_until_idle_expiry_or_sign_out(session: Session) -> None:
    cookie = signin.open_session(
        session, kind="staff", subject_id=SUBJECT, email="a@example.org", verified=True, now=T0
    )
    assert cookie not in {s.token_hash for s in session.scalars(select(WebSession))}
    assert signin.current(session, kind="staff", token=cookie, now=T0) is not None
    assert signin.current(session, kind="centre", token=cookie, now=T0) is None
    assert signin.current(session, kind="staff", token=cookie + "x", now=T0) is None
    # Used every 50 minutes it stays open, up to its absolute end.
    at = T0
    while at + timedelta(minutes=50) < T0 + timedelta(hours=signin.SESSION_HOURS):
        at += timedelta(minutes=50)
        assert signin.current(session, kind="staff", token=cookie, now=at) is not None
    assert signin.current(session, kind="staff", token=cookie, now=T0 + timedelta(hours=12)) is None
    idle = signin.open_session(
        session, kind="staff", subject_id=SUBJECT, email="a@example.org", verified=True, now=T0
    )
    late = T0 + timedelta(minutes=signin.IDLE_MINUTES)
    assert signin.current(session, kind="staff", token=idle, now=late) is None
    fresh = signin.open_session(
        session, kind="staff", subject_id=SUBJECT, email="a@example.org", verified=True, now=T0
    )
    live = signin.current(session, kind="staff", token=fresh, now=T0)
    assert live is not None
    signin.end(session, live)
    assert signin.current(session, kind="staff", token=fresh, now=T0) is None


@both_backends
def test_wrong_codes_end_an_unverified_session(session: Session) -> None:
    cookie = signin.open_session(
        session, kind="staff", subject_id=SUBJECT, email="a@example.org", verified=False, now=T0
    )
    live = signin.current(session, kind="staff", token=cookie, now=T0)
    assert live is not None and live.verified_at is None
    ended = [signin.failed_check(session, live, now=T0) for _ in range(signin.MAX_FAILED_CHECKS)]
    assert ended == [False] * (signin.MAX_FAILED_CHECKS - 1) + [True]
    assert signin.current(session, kind="staff", token=cookie, now=T0) is None


@both_backends
def test_closing_an_account_ends_its_sessions_and_links(session: Session) -> None:
    token = _issue(session, "centre")
    cookie = signin.open_session(
        session, kind="centre", subject_id=SUBJECT, email="b@example.org", verified=True
    )
    other = signin.open_session(
        session, kind="centre", subject_id=SUBJECT, email="c@example.org", verified=True
    )
    assert signin.end_all(session, kind="centre", subject_id=SUBJECT, email="b@example.org") == 1
    assert signin.current(session, kind="centre", token=cookie) is None
    assert signin.current(session, kind="centre", token=other) is not None
    signin.end_all(session, kind="centre", subject_id=SUBJECT)
    assert signin.current(session, kind="centre", token=other) is None
    with pytest.raises(Gone):
        signin.check(session, kind="centre", token=token, now=T0)


# Staff accounts and TOTP.


def _settings(env: str = "development") -> Settings:
    return Settings(env=env, secret_key="k" * 20 + "Zq8-vX2_mN4pR7tY9wB3")  # type: ignore[arg-type]


@both_backends
def test_staff_accounts_add_remove_and_addresses(session: Session) -> None:
    member = staff_members.add(session, "  Ana.Gagnon@Example.ORG ")
    assert member.email == "ana.gagnon@example.org"
    with pytest.raises(Conflict):
        staff_members.add(session, "ana.gagnon@example.org")
    for bad in ("", "ana", "a@b", "a b@example.org", "<a@example.org>",
                "a@example.org\nBcc: b@example.org", "a@" + "x" * 250 + ".org",
                "a@exa_mple.org"):  # fmt: skip
        with pytest.raises(InvalidInput):
            staff_members.add(session, bad)
    assert staff_members.find_active(session, "ANA.gagnon@example.org") is member
    cookie = signin.open_session(
        session, kind="staff", subject_id=member.id, email=member.email, verified=True
    )
    staff_members.remove(session, member.email)
    assert staff_members.find_active(session, member.email) is None
    assert signin.current(session, kind="staff", token=cookie) is None
    with pytest.raises(NotFound):
        staff_members.remove(session, member.email)
    back = staff_members.add(session, member.email)
    assert back.id == member.id and back.removed_at is None


def test_totp_with_a_frozen_clock(session: Session) -> None:
    settings = _settings()
    member = staff_members.add(session, "totp@example.org")
    assert not staff_members.totp_required(settings, member)
    assert staff_members.totp_required(_settings("production"), member)
    secret = staff_members.pending_secret(session, settings, member)
    assert staff_members.pending_secret(session, settings, member) == secret  # kept until used
    assert secret not in (member.totp_secret or "")  # stored encrypted
    uri = staff_members.otpauth_uri(secret, member)
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    totp = pyotp.TOTP(secret)
    wrong = f"{(int(totp.at(T0)) + 1) % 1_000_000:06d}"
    assert not staff_members.confirm_enrolment(session, settings, member, wrong, now=T0)
    assert staff_members.confirm_enrolment(session, settings, member, totp.at(T0), now=T0)
    assert staff_members.has_totp(member) and staff_members.totp_required(settings, member)
    with pytest.raises(Conflict):
        staff_members.pending_secret(session, settings, member)
    # The code just used is refused, even within its 30 seconds; the next step's is taken.
    assert not staff_members.check_code(session, settings, member, totp.at(T0), now=T0)
    later = T0 + timedelta(seconds=30)
    assert staff_members.check_code(session, settings, member, totp.at(later), now=later)
    # One step of drift either way is accepted; two are not.
    far = T0 + timedelta(minutes=10)
    assert staff_members.check_code(
        session, settings, member, totp.at(far - timedelta(seconds=30)), now=far
    )
    assert not staff_members.check_code(
        session, settings, member, totp.at(far + timedelta(seconds=90)), now=far
    )
    for junk in ("", "12345", "1234567", "abcdef", "12 34 5x", "１２３４５６"):
        assert not staff_members.check_code(session, settings, member, junk, now=far)
    staff_members.reset_totp(session, member)
    assert not staff_members.has_totp(member)


# ttx staff


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TTX_DATABASE_URL", db_url)
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    yield db_url
    db.get_engine().dispose()
    db.get_engine.cache_clear()
    get_settings.cache_clear()


def test_ttx_staff_add_list_remove(
    cli_db: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staff", "add", "Luc@Example.org", "--name", "Luc"]) == 0
    assert main(["staff", "add", "luc@example.org"]) == 1
    assert "existe déjà" in capsys.readouterr().err
    assert main(["staff", "add", "not-an-address"]) == 1
    assert main(["staff", "list"]) == 0
    listed = capsys.readouterr().out
    assert '"email": "luc@example.org"' in listed and '"state": "active"' in listed
    assert main(["staff", "reset-totp", "luc@example.org"]) == 0
    assert main(["staff", "remove", "luc@example.org"]) == 0
    assert main(["staff", "remove", "luc@example.org"]) == 1
    with Session(engine) as s:
        assert s.scalars(select(StaffMember)).one().removed_at is not None


@both_backends
def test_the_sweeper_forgets_links_ended_a_month_ago(engine: Engine) -> None:
    from app.services.sweeper import sweep

    now = datetime.now(UTC)
    with session_scope(engine) as session:
        for days in (40, 1):
            when, email = now - timedelta(days=days), f"old{days}@example.org"
            signin.issue(session, kind="centre", subject_id=SUBJECT, email=email, now=when)
    sweep(engine, get_settings())
    with Session(engine) as session:
        left = session.scalars(select(SigninLink.email)).all()
    assert left == ["old1@example.org"]
