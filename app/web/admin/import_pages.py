"""Import centres from a workbook, a CSV or a JSON file: a preview first (the importer's dry
run: what would be created, changed, deactivated, or every problem by row and column), then
the import itself after a confirmation.

The preview page carries the file to its confirmation, encrypted with `TTX_SECRET_KEY` and
bound to the staff member, so what is imported is exactly what was previewed. Files up to
`MAX_FILE_BYTES` here; larger ones through `ttx import` or the API."""

from __future__ import annotations

import base64
import zlib
from collections.abc import AsyncIterator
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData, UploadFile

from app.crypto import decrypt_json, encrypt_json
from app.deps import SessionDep
from app.errors import InvalidInput
from app.i18n import Lang, gettext
from app.services import audit, centres, importer
from app.settings import Settings
from app.web import urls
from app.web.admin.access import StaffDep, show
from app.web.security import form_of

router = APIRouter()
MAX_FILE_BYTES: Final = 512 * 1024


async def upload_form(request: Request) -> AsyncIterator[FormData]:
    form = await form_of(request, max_files=1)
    try:
        yield form
    finally:
        await form.close()


UploadDep = Annotated[FormData, Depends(upload_form)]


@urls.page(router, "admin-import")
def import_form(request: Request, user: StaffDep) -> HTMLResponse:
    return _show(request, user, {})


def _show(request: Request, user: Any, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    base: dict[str, Any] = {
        "section": "import",
        "errors": [],
        "report": None,
        "staged": None,
        "done": None,
        "max_kb": MAX_FILE_BYTES // 1024,
        "problem": None,
    }
    return show(request, "admin/import.html", user, base | context, status=status)


@urls.page(router, "admin-import", methods=["POST"])
def import_file(
    request: Request, session: SessionDep, user: StaffDep, form: UploadDep
) -> HTMLResponse:
    """A file: its preview. A previewed file with `confirm=yes`: the import."""
    lang = urls.lang_of_request(request)
    settings: Settings = request.app.state.settings
    try:
        name, raw = _file_of(form, settings, user, lang)
    except ValueError as exc:
        return _show(request, user, {"problem": str(exc)}, status=422)
    confirm = form.get("confirm") == "yes" and form.get("staged") is not None
    rules = centres.Rules.from_settings(settings)
    try:
        loaded = importer.load(raw, filename=name)
        report = importer.import_records(
            session, loaded, rules=rules, dry_run=not confirm, lang=lang
        )
    except InvalidInput as exc:
        lines = importer.describe_errors(exc, lang)
        return _show(request, user, {"problem": exc.text(lang), "errors": lines}, status=422)
    if confirm:
        detail = f"{name[:200]}: {report.created} new, {report.updated} updated"
        audit.record(session, user.actor, "import", "staff", user.member.id, detail)
        return _show(request, user, {"done": report})
    staged = encrypt_json(
        settings.secret_key,
        {
            "name": name,
            "by": str(user.member.id),
            "data": base64.b64encode(zlib.compress(raw)).decode(),
        },
    )
    return _show(request, user, {"report": report, "staged": staged, "name": name})


def _file_of(form: FormData, settings: Settings, user: Any, lang: Lang) -> tuple[str, bytes]:
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = upload.file.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise ValueError(gettext("admin.import.too_large", lang, kb=MAX_FILE_BYTES // 1024))
        return upload.filename[:200], raw
    staged = form.get("staged")
    if isinstance(staged, str) and staged:
        try:
            held = decrypt_json(settings.secret_key, staged[:2_000_000])
            if held.get("by") != str(user.member.id):
                raise ValueError("another member's file")
            data = zlib.decompress(base64.b64decode(held["data"]), bufsize=MAX_FILE_BYTES)
            return str(held["name"]), data[: MAX_FILE_BYTES + 1]
        except (ValueError, KeyError, TypeError, AttributeError, zlib.error):
            raise ValueError(gettext("admin.import.staged_invalid", lang)) from None
    raise ValueError(gettext("admin.import.no_file", lang))
