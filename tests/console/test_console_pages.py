"""The console's other pages, signed in: deliveries and replay, the directory (search, edit,
pause, deactivate with confirmation), import with its preview, keys (shown once, revoked after
a confirmation), privacy (export, erase after a confirmation), reports with an SVG chart and
CSV. Every action lands in the audit log under the staff member."""

from __future__ import annotations

import json
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models import ApiKey, AuditEntry, Centre, Consultation, DirectoryChange, OutboxEvent
from app.services import keys
from tests.helpers.console import unrouted
from tests.helpers.pages import csrf_of


def _actions(engine: Engine) -> set[str]:
    with Session(engine) as s:
        return {a.action for a in s.scalars(select(AuditEntry)) if a.actor.startswith("staff:")}


def _centre(engine: Engine) -> Centre:
    with Session(engine) as s:
        return s.scalars(select(Centre).where(Centre.active).order_by(Centre.ref)).first()  # type: ignore[return-value]


def test_directory_search_edit_pause_deactivate(staff: TestClient, console_engine: Engine) -> None:
    centre = _centre(console_engine)
    found = staff.get("/admin/centres", params={"q": centre.ref.upper()})
    assert found.status_code == 200 and centre.name in found.text
    assert "1 centre" in found.text
    assert staff.get("/admin/centres", params={"q": "%_\\' OR 1=1"}).status_code == 200
    page = staff.get(f"/admin/centres/{centre.id}")
    token = csrf_of(page.text)
    bad = staff.post(f"/admin/centres/{centre.id}", data={"name": "", "email": "nope",
                     "weekly_capacity": "-3", "csrf_token": token})  # fmt: skip
    assert bad.status_code == 422 and "Erreur" in bad.text
    saved = staff.post(f"/admin/centres/{centre.id}", data={"name": "Centre renommé",
                       "weekly_capacity": "12", "csrf_token": token})  # fmt: skip
    assert saved.status_code == 200 and "Modifications enregistrées" in saved.text
    paused = staff.post(
        f"/admin/centres/{centre.id}/etat", data={"action": "pause", "csrf_token": token}
    )
    assert "en pause" in paused.text
    ask = staff.post(
        f"/admin/centres/{centre.id}/etat", data={"action": "deactivate", "csrf_token": token}
    )
    assert ask.status_code == 200 and "Désactiver le centre ?" in ask.text
    with Session(console_engine) as s:
        assert s.get(Centre, centre.id).active  # type: ignore[union-attr]
    staff.post(f"/admin/centres/{centre.id}/etat",
               data={"action": "deactivate", "confirm": "yes", "csrf_token": token})  # fmt: skip
    with Session(console_engine) as s:
        row = s.get(Centre, centre.id)
        assert row is not None and not row.active and row.name == "Centre renommé"
    assert {"centre_update", "centre_pause", "centre_deactivate"} <= _actions(console_engine)
    with Session(console_engine) as s:  # each edit logged for the replicas (edit, pause, remove)
        log = s.scalars(
            select(DirectoryChange.kind)
            .where(DirectoryChange.centre_id == centre.id)
            .order_by(DirectoryChange.version)  # type: ignore[arg-type]
        ).all()
    assert log[-3:] == ["upsert", "upsert", "remove"]
    assert staff.post(f"/admin/centres/{centre.id}/etat", data={"action": "explode",
                      "csrf_token": token}).status_code == 404  # fmt: skip


CSV = (
    "ref;name;regions_served;municipality;weekly_capacity\r\n"
    "new-centre-1;Nouveau centre;04;Trois-Rivières;5\r\n"
)


BROKEN = b"ref;name;regions_served\r\nx-1;Nom;99\r\n"


def test_import_previews_then_imports(staff: TestClient, console_engine: Engine) -> None:
    page = staff.get("/admin/import")
    token = csrf_of(page.text)
    preview = staff.post("/admin/import", data={"csrf_token": token},
                         files={"file": ("centres.csv", CSV.encode(), "text/csv")})  # fmt: skip
    assert preview.status_code == 200, preview.text
    assert "new-centre-1" in preview.text and "Importer maintenant" in preview.text
    with Session(console_engine) as s:
        assert s.scalars(select(Centre).where(Centre.ref == "new-centre-1")).first() is None
    staged = preview.text.split('name="staged" value="')[1].split('"')[0]
    tampered = staff.post("/admin/import", data={"csrf_token": token, "confirm": "yes",
                          "staged": staged[:-8] + "AAAAAAAA"})  # fmt: skip
    assert tampered.status_code == 422 and "plus valable" in tampered.text
    done = staff.post(
        "/admin/import", data={"csrf_token": token, "confirm": "yes", "staged": staged}
    )
    assert done.status_code == 200 and "Import terminé" in done.text
    with Session(console_engine) as s:
        assert s.scalars(select(Centre).where(Centre.ref == "new-centre-1")).first() is not None
    broken = staff.post("/admin/import", data={"csrf_token": token},
                        files={"file": ("c.csv", BROKEN, "text/csv")})  # fmt: skip
    assert broken.status_code == 422 and "Ligne 2" in broken.text
    big = staff.post("/admin/import", data={"csrf_token": token},
                     files={"file": ("c.csv", b"x" * (600 * 1024), "text/csv")})  # fmt: skip
    assert big.status_code == 422 and "Ko" in big.text
    assert staff.post("/admin/import", data={"csrf_token": token}).status_code == 422
    assert "import" in _actions(console_engine)


def test_keys_shown_once_and_revoked_after_confirmation(
    staff: TestClient, console_engine: Engine
) -> None:
    page = staff.get("/admin/cles")
    token = csrf_of(page.text)
    made = staff.post(
        "/admin/cles", data={"role": "partner", "label": "Partenaire", "csrf_token": token}
    )
    plaintext = made.text.split('class="new-key">')[1].split("<")[0]
    assert plaintext.startswith("ttx_") and made.headers["cache-control"] == "no-store"
    assert plaintext not in staff.get("/admin/cles").text
    wrong = staff.post(
        "/admin/cles", data={"role": "centre", "centre": "no-such", "csrf_token": token}
    )
    assert wrong.status_code == 422
    hidden = staff.post(
        "/admin/cles", data={"role": "partner", "label": "Part\u202eenaire", "csrf_token": token}
    )
    assert hidden.status_code == 422 and "caractère invisible" in hidden.text
    with Session(console_engine) as s:
        row = s.scalars(select(ApiKey).where(ApiKey.key_hash == keys.hash_key(plaintext))).one()
    ask = staff.post(f"/admin/cles/{row.id}/revoquer", data={"csrf_token": token})
    assert ask.status_code == 200 and "Révoquer la clé ?" in ask.text
    staff.post(f"/admin/cles/{row.id}/revoquer", data={"csrf_token": token, "confirm": "yes"})
    with Session(console_engine) as s:
        assert s.get(ApiKey, row.id).revoked_at is not None  # type: ignore[union-attr]
    assert {"key_create", "key_revoke"} <= _actions(console_engine)


def test_privacy_export_and_erase_after_confirmation(
    staff: TestClient, console_engine: Engine
) -> None:
    cid = unrouted(staff, console_engine)
    page = staff.get("/admin/vie-privee")
    token = csrf_of(page.text)
    assert staff.post("/admin/vie-privee", data={"csrf_token": token}).status_code == 422
    found = staff.post(
        "/admin/vie-privee", data={"email": "MARIE@example.org", "csrf_token": token}
    )
    assert "1 demande trouvée" in found.text and "marie@example.org" not in found.url.query.decode()
    exported = staff.post(
        "/admin/vie-privee/export", data={"email": "marie@example.org", "csrf_token": token}
    )
    assert exported.headers["content-disposition"].startswith("attachment")
    assert json.loads(exported.text)["consultations"][0]["id"] == cid
    ask = staff.post(
        "/admin/vie-privee/effacement", data={"email": "marie@example.org", "csrf_token": token}
    )
    assert "Effacer les données ?" in ask.text
    with Session(console_engine) as s:
        assert s.get(Consultation, uuid.UUID(cid)).anonymized_at is None  # type: ignore[union-attr]
    done = staff.post("/admin/vie-privee/effacement", data={
        "email": "marie@example.org", "confirm": "yes", "csrf_token": token})  # fmt: skip
    assert "1 demande effacée" in done.text
    with Session(console_engine) as s:
        assert s.get(Consultation, uuid.UUID(cid)).anonymized_at is not None  # type: ignore[union-attr]
    assert {"export", "erase"} <= _actions(console_engine)


def test_deliveries_list_and_replay(staff: TestClient, console_engine: Engine) -> None:
    unrouted(staff, console_engine)
    with Session(console_engine) as s:
        event = s.scalars(select(OutboxEvent)).first()
        assert event is not None
        event.status, event.attempts, event.last_error = "failed", 8, "connection refused"
        s.add(event)
        s.commit()
        event_id = event.id
    page = staff.get("/admin/livraisons")
    assert "connection refused" in page.text and "Relancer" in page.text
    replayed = staff.post(
        f"/admin/livraisons/{event_id}/relancer", data={"csrf_token": csrf_of(page.text)}
    )
    # Its referral expired meanwhile (the test made it so): the replay is refused, 409.
    assert replayed.status_code == 409
    assert staff.post(f"/admin/livraisons/{uuid.uuid4()}/relancer",
                      data={"csrf_token": csrf_of(page.text)}).status_code == 404  # fmt: skip


def test_reports_with_svg_chart_and_csv(staff: TestClient, console_engine: Engine) -> None:
    unrouted(staff, console_engine)
    for by in ("region", "centre", "month", "reason"):
        page = staff.get("/admin/rapports", params={"par": by})
        assert page.status_code == 200 and "<svg" in page.text and 'role="img"' in page.text
    english = staff.get("/en/admin/reports")
    assert "Reports" in english.text
    csv = staff.get("/admin/rapports.csv", params={"par": "region"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content.startswith(b"\xef\xbb\xbf")
    assert staff.get("/admin/rapports", params={"du": "2026-13-40"}).status_code == 422
    assert staff.get("/admin/rapports", params={"par": "nope"}).status_code == 422
    assert (
        staff.get("/admin/rapports", params={"du": "2030-01-01", "au": "2029-01-01"}).status_code
        == 422
    )
