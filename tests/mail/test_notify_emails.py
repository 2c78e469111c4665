"""A centre's `notify_emails`: its `email` by default, a list through the admin API and the
import, untouched by an HSDS package, and every address checked (422 naming the field)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi.testclient import TestClient

from tests.helpers.db import both_backends
from tests.helpers.factories import centre_record


def create(client: TestClient, headers: dict[str, str], **fields: object) -> dict[str, object]:
    answer = client.post("/v1/admin/centres", json=centre_record(**fields), headers=headers)
    assert answer.status_code == 201, answer.text
    body: dict[str, object] = answer.json()
    return body


@both_backends
def test_a_centre_is_notified_at_its_email_unless_told(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    assert create(client, admin_headers)["notify_emails"] == ["accueil@test-centre-1.example.org"]
    chosen = create(
        client,
        admin_headers,
        ref="c-2",
        notify_emails=["Intake@Example.org", "b@example.org", "intake@example.org"],
    )
    assert chosen["notify_emails"] == ["intake@example.org", "b@example.org"]
    assert create(client, admin_headers, ref="c-3", email=None)["notify_emails"] == []
    assert create(client, admin_headers, ref="c-4", notify_emails=[])["notify_emails"] == []
    changed = client.patch(
        f"/v1/admin/centres/{chosen['id']}",
        headers=admin_headers,
        json={"notify_emails": ["nouveau@example.org"]},
    )
    assert changed.status_code == 200 and changed.json()["notify_emails"] == ["nouveau@example.org"]
    # The public view never shows them.
    assert "notify_emails" not in client.get(f"/v1/centres/{chosen['id']}").json()


def test_undeliverable_addresses_are_refused_naming_the_field(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    for bad in [
        "pas-une-adresse",
        "a@b",
        "Name <a@example.org>",
        "a@example.org\nBcc: x",
        "a b@example.org",
        "a@-x.example.org",
        "x" * 250 + "@example.org",
    ]:
        answer = client.post(
            "/v1/admin/centres",
            headers=admin_headers,
            json=centre_record(notify_emails=["ok@example.org", bad]),
        )
        assert answer.status_code == 422, bad
        assert answer.headers["content-type"].startswith("application/problem+json")
        locs = [e["loc"] for e in answer.json()["errors"]]
        assert ["body", "notify_emails", 1] in locs, (bad, locs)
    too_many = [f"a{i}@example.org" for i in range(11)]
    answer = client.post(
        "/v1/admin/centres", headers=admin_headers, json=centre_record(notify_emails=too_many)
    )
    assert answer.status_code == 422
    assert client.get("/v1/admin/centres", headers=admin_headers).json()["total"] == 0
    created = create(client, admin_headers)
    refused = client.patch(
        f"/v1/admin/centres/{created['id']}", headers=admin_headers, json={"notify_emails": None}
    )
    assert refused.status_code == 422


def test_the_import_reads_notify_emails_and_refuses_bad_ones(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ref", "name", "email", "regions_served", "municipality", "notify_emails"])
    writer.writerow(
        [
            "csv-1",
            "Centre CSV",
            "accueil@example.org",
            "04",
            "Trois-Rivières",
            "a@example.org; b@example.org",
        ]
    )
    writer.writerow(["csv-2", "Centre CSV 2", "accueil2@example.org", "04", "Trois-Rivières", ""])
    imported = client.post(
        "/v1/admin/centres/import",
        content=out.getvalue().encode(),
        headers={**admin_headers, "content-type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    centres = {
        c["ref"]: c for c in client.get("/v1/admin/centres", headers=admin_headers).json()["items"]
    }
    assert centres["csv-1"]["notify_emails"] == ["a@example.org", "b@example.org"]
    assert centres["csv-2"]["notify_emails"] == ["accueil2@example.org"]
    bad = io.StringIO()
    writer = csv.writer(bad)
    writer.writerow(["ref", "name", "regions_served", "municipality", "notify_emails"])
    writer.writerow(["csv-3", "Centre", "04", "Trois-Rivières", "a@example.org; pas une adresse"])
    refused = client.post(
        "/v1/admin/centres/import",
        content=bad.getvalue().encode(),
        headers={**admin_headers, "content-type": "text/csv"},
    )
    assert refused.status_code == 422
    assert "notify_emails" in refused.text


def test_an_hsds_package_leaves_notify_emails_alone(
    client: TestClient, admin_headers: dict[str, str], engine: Any
) -> None:
    from app.hsds import package
    from app.services.directory_index import DirectoryIndex

    create(client, admin_headers, notify_emails=["equipe@example.org"])
    doc = package.export(DirectoryIndex(engine, 0.1).get().centres_by_name, "fr")
    doc["organization"][0]["name"] = "Nom changé par le partenaire"
    answer = client.post("/v1/admin/centres/import", content=json.dumps(doc), headers=admin_headers)
    assert answer.status_code == 200 and answer.json()["updated"] == 1, answer.text
    centre = client.get("/v1/admin/centres", headers=admin_headers).json()["items"][0]
    assert centre["notify_emails"] == ["equipe@example.org"]
