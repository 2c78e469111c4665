"""API keys: the list, a new key (shown once, on the answer to its POST), revocation with a
confirmation step."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import SessionDep
from app.errors import AppError, NotFound
from app.services import audit, keys
from app.web import urls
from app.web.admin.access import FormDep, StaffDep, show
from app.web.criteria import FieldError

router = APIRouter()


def _page(request: Request, session: SessionDep, user: StaffDep, **extra: object) -> HTMLResponse:
    errors = extra.get("form_errors") or []
    return show(
        request,
        "admin/keys.html",
        user,
        {
            "section": "keys",
            "keys": keys.list_keys(session),
            "roles": keys.ROLES,
            "created": None,
            "form_errors": errors,
            "values": {},
            **extra,
            "revoked": request.query_params.get("fait") == "1",
        },
        status=422 if errors else 200,
    )


@urls.page(router, "admin-keys")
def key_list(request: Request, session: SessionDep, user: StaffDep) -> HTMLResponse:
    return _page(request, session, user)


@urls.page(router, "admin-keys", methods=["POST"])
def create(request: Request, session: SessionDep, user: StaffDep, form: FormDep) -> HTMLResponse:
    """Make a key and show it, this once."""
    lang = urls.lang_of_request(request)
    values = {k: str(form.get(k, ""))[:200].strip() for k in ("role", "centre", "label")}
    try:
        row, plaintext = keys.create_key(
            session,
            role=values["role"],
            centre_ref=values["centre"] or None,
            label=values["label"][:120] or None,
        )
    except AppError as exc:
        field = next((f for f in ("centre", "label") if f in exc.code), "role")
        return _page(
            request, session, user, values=values, form_errors=[FieldError(field, exc.text(lang))]
        )
    audit.record(session, user.actor, "key_create", "api_key", row.id, row.role)
    return _page(request, session, user, created={"key": plaintext, "row": row})


@urls.page(router, "admin-key-revoke", methods=["POST"])
def revoke(
    request: Request, session: SessionDep, user: StaffDep, form: FormDep, key_id: str
) -> Response:
    """Revoke a key: a confirmation page first."""
    try:
        kid = uuid.UUID(key_id)
    except ValueError:
        raise NotFound("key_not_found", key_id=key_id[:64]) from None
    if form.get("confirm") != "yes":
        row = next((k for k in keys.list_keys(session) if k.id == kid), None)
        if row is None:
            raise NotFound("key_not_found", key_id=str(kid))
        return show(request, "admin/confirm_revoke.html", user, {"section": "keys", "key": row})
    keys.revoke_key(session, kid)
    audit.record(session, user.actor, "key_revoke", "api_key", kid)
    lang = urls.lang_of_request(request)
    return RedirectResponse(urls.url("admin-keys", lang, {"fait": "1"}), status_code=303)
