"""A small, hand-counted history of requests (October and November 2026, Québec time), written
as the services write their rows. The expected figures in the tests are counted by hand
from the story below, not computed by the code under test.

    c1  04  Oct 5 09:00  -> A (at once); A accepts Oct 5 11:00 (2 h)
    c2  04  Oct 5 10:00  -> A (at once); A declines no_capacity 14:00 (4 h) -> B at once;
                            B accepts Oct 6 10:00 (20 h)
    c3  06  Oct 6 08:00  -> C (at once); expires Oct 8 08:00, no centre left (staff queue)
    c4  06  Oct 7 12:00  no centre (staff queue); staff route to C Oct 9 09:00;
                            C declines out_of_area 16:00 (7 h), no centre left (staff queue)
    c5  04  Nov 2 09:00  -> B (at once); B declines other 09:15 (0.25 h) -> A;
                            A declines no_capacity 10:15 (1 h) -> C; C accepts Nov 3 09:15 (23 h)
    c6  04  Oct 31 23:30 (Nov 1 03:30 UTC) -> A (at once); staff cancel Nov 1 10:00
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from app.db import insert_rows, session_scope
from app.models import Consultation, Referral, ReferralEvent
from app.schemas.directory import CentreCreate
from app.services import centres
from tests.helpers.factories import centre_record, montreal_record

TZ = ZoneInfo("America/Toronto")


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


@dataclass
class History:
    a: uuid.UUID
    b: uuid.UUID
    c: uuid.UUID
    consultations: list[uuid.UUID]


class Writer:
    def __init__(self, session: object) -> None:
        self.session = session

    def consultation(self, region: str, at: datetime) -> uuid.UUID:
        cid = uuid.uuid4()
        insert_rows(self.session, Consultation, {  # type: ignore[arg-type]
            "id": cid, "created_at": at, "status": "routed", "channel": "public",
            "partner_key_id": None, "region_code": region,
            "criteria": {"location": {"region_code": region}}, "ranking": [],
            "policy_version": "test", "consent": {"accepted": True}, "person_enc": None,
            "message_enc": None, "anonymized_at": None,
        })  # fmt: skip
        return cid

    def referral(self, cid: uuid.UUID, centre: uuid.UUID, attempt: int, at: datetime,
                 actor: str = "public") -> uuid.UUID:  # fmt: skip
        rid = uuid.uuid4()
        insert_rows(self.session, Referral, {  # type: ignore[arg-type]
            "id": rid, "consultation_id": cid, "centre_id": centre, "attempt": attempt,
            "state": "pending", "rank": attempt, "score": 0.5, "reasons": [],
            "created_at": at, "delivered_at": None, "responded_at": None,
            "expires_at": at + timedelta(hours=48), "decline_reason": None,
            "decline_note": None, "version": 1,
        })  # fmt: skip
        self.event(rid, None, "pending", at, actor)
        return rid

    def event(self, rid: uuid.UUID, from_state: str | None, to_state: str, at: datetime,
              actor: str = "centre", reason: str | None = None) -> None:  # fmt: skip
        insert_rows(self.session, ReferralEvent, {  # type: ignore[arg-type]
            "id": uuid.uuid4(), "referral_id": rid, "at": at, "from_state": from_state,
            "to_state": to_state, "actor": actor, "reason": reason, "note": None,
        })  # fmt: skip


def write_history(engine: Engine) -> History:
    with session_scope(engine) as session:
        ids = [
            centres.create_centre(session, CentreCreate.model_validate(record)).id
            for record in (centre_record("rpt-a"), centre_record("rpt-b"),
                           montreal_record("rpt-c"))
        ]  # fmt: skip
    a, b, c = ids
    second = timedelta(seconds=1)
    with session_scope(engine) as session:
        w = Writer(session)
        c1 = w.consultation("04", local(10, 5, 9))
        r = w.referral(c1, a, 1, local(10, 5, 9))
        w.event(r, "pending", "accepted", local(10, 5, 11))

        c2 = w.consultation("04", local(10, 5, 10))
        r = w.referral(c2, a, 1, local(10, 5, 10))
        w.event(r, "pending", "declined", local(10, 5, 14), reason="no_capacity")
        r = w.referral(c2, b, 2, local(10, 5, 14) + second, actor="centre")
        w.event(r, "pending", "accepted", local(10, 6, 10) + second)

        c3 = w.consultation("06", local(10, 6, 8))
        r = w.referral(c3, c, 1, local(10, 6, 8))
        w.event(r, "pending", "expired", local(10, 8, 8), actor="system:expiry")

        c4 = w.consultation("06", local(10, 7, 12))
        r = w.referral(c4, c, 1, local(10, 9, 9), actor="admin:staff")
        w.event(r, "pending", "declined", local(10, 9, 16), reason="out_of_area")

        c5 = w.consultation("04", local(11, 2, 9))
        r = w.referral(c5, b, 1, local(11, 2, 9))
        w.event(r, "pending", "declined", local(11, 2, 9, 15), reason="other")
        r = w.referral(c5, a, 2, local(11, 2, 9, 15) + second)
        w.event(r, "pending", "declined", local(11, 2, 10, 15) + second, reason="no_capacity")
        r = w.referral(c5, c, 3, local(11, 2, 10, 15) + 2 * second)
        w.event(r, "pending", "accepted", local(11, 3, 9, 15) + 2 * second)

        c6 = w.consultation("04", local(10, 31, 23, 30))
        r = w.referral(c6, a, 1, local(10, 31, 23, 30))
        w.event(r, "pending", "cancelled", local(11, 1, 10), actor="admin:staff")
    return History(a, b, c, [c1, c2, c3, c4, c5, c6])
