"""Law 25 requests handled by staff: a person's data, exported or erased (admin key)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import Field

from app.deps import AdminDep, SessionDep, SettingsDep
from app.errors import InvalidInput, field_error
from app.schemas.common import Strict
from app.schemas.directory import Email, Phone
from app.schemas.responses import Erased, PrivacyExport
from app.services import privacy
from app.services.audit import actor_of

router = APIRouter(prefix="/v1/admin/privacy", tags=["privacy"])


class PersonLookup(Strict):
    email: Email | None = None
    phone: Phone | None = None
    confirm: Annotated[bool, Field(strict=True, description="Must be true to erase")] = False


@router.post("/export", summary="Export a person's data", response_model=PrivacyExport)
def export(
    caller: AdminDep, session: SessionDep, settings: SettingsDep, body: PersonLookup
) -> dict[str, Any]:
    """Every request made with this email or phone: personal data, consent, where it was sent
    and why, its history, and who read it. The export itself is logged."""
    rows = privacy.find(session, settings, body.email, body.phone)
    return privacy.export(session, settings, rows, actor_of(caller))


@router.post("/erase", summary="Erase a person's data", response_model=Erased)
def erase(
    caller: AdminDep, session: SessionDep, settings: SettingsDep, body: PersonLookup
) -> dict[str, Any]:
    """Withdraw the person's open referrals (centres are told) and anonymise every request made
    with this email or phone. Statistics keep dates, region and codes only. Needs `confirm`."""
    if not body.confirm:
        raise InvalidInput(
            "erase_confirm_required",
            errors=[field_error(["body", "confirm"], "erase_confirm_required")],
        )
    rows = privacy.find(session, settings, body.email, body.phone)
    return {"erased": privacy.erase(session, settings, rows, actor_of(caller))}
