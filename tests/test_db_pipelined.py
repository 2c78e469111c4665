"""`app.db.pipelined`: an error inside the block comes out as SQLAlchemy's error, on both
backends (on PostgreSQL it is raised by the pipeline when the block ends)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.db import insert_rows, pipelined, utcnow
from app.models import ReferralEvent
from tests.helpers.db import both_backends


@both_backends
def test_a_failing_last_statement_is_a_sqlalchemy_error(engine: Engine) -> None:
    orphan = {"id": uuid.uuid4(), "referral_id": uuid.uuid4(), "at": utcnow(),
              "from_state": None, "to_state": "pending", "actor": "test"}  # fmt: skip
    with Session(engine) as session:
        with pytest.raises(IntegrityError), pipelined(session):
            insert_rows(session, ReferralEvent, orphan)  # no such referral
        session.rollback()
        count = session.scalar(select(func.count()).select_from(ReferralEvent))
    assert count == 0
