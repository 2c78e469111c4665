"""The staff console (`/admin`, `/en/admin`): AXTRA staff's pages, on the same services as
the admin API (never the API over HTTP), rendered like the public site.

Staff sign in by e-mailed one-time link (`signin_pages`, `app.services.signin`) and TOTP;
every other page depends on `access.StaffDep`, every POST on `access.FormDep` (CSRF), every
destructive action has a confirmation step, and every action is written to the audit log
under the staff member's name (`staff:<id>`). Text comes from the `admin` catalogue."""

from __future__ import annotations

from typing import Final

from fastapi import FastAPI

from app.web import urls

PAGES: Final[dict[str, tuple[str, str]]] = {
    "admin": ("/admin", "/en/admin"),
    "admin-signin": ("/admin/connexion", "/en/admin/sign-in"),
    "admin-link": ("/admin/connexion/lien", "/en/admin/sign-in/link"),
    "admin-code": ("/admin/connexion/code", "/en/admin/sign-in/code"),
    "admin-security": ("/admin/securite", "/en/admin/security"),
    "admin-signout": ("/admin/deconnexion", "/en/admin/sign-out"),
    "admin-queue": ("/admin/file", "/en/admin/queue"),
    "admin-request": ("/admin/demandes/{consultation_id}", "/en/admin/requests/{consultation_id}"),
    "admin-route": (
        "/admin/demandes/{consultation_id}/acheminer",
        "/en/admin/requests/{consultation_id}/route",
    ),
    "admin-referrals": ("/admin/acheminements", "/en/admin/referrals"),
    "admin-deliveries": ("/admin/livraisons", "/en/admin/deliveries"),
    "admin-replay": (
        "/admin/livraisons/{event_id}/relancer",
        "/en/admin/deliveries/{event_id}/replay",
    ),
    "admin-centres": ("/admin/centres", "/en/admin/centres"),
    "admin-centre": ("/admin/centres/{centre_id}", "/en/admin/centres/{centre_id}"),
    "admin-centre-status": (
        "/admin/centres/{centre_id}/etat",
        "/en/admin/centres/{centre_id}/status",
    ),
    "admin-import": ("/admin/import", "/en/admin/import"),
    "admin-keys": ("/admin/cles", "/en/admin/keys"),
    "admin-key-revoke": ("/admin/cles/{key_id}/revoquer", "/en/admin/keys/{key_id}/revoke"),
    "admin-privacy": ("/admin/vie-privee", "/en/admin/privacy"),
    "admin-privacy-export": ("/admin/vie-privee/export", "/en/admin/privacy/export"),
    "admin-privacy-erase": ("/admin/vie-privee/effacement", "/en/admin/privacy/erase"),
    "admin-reports": ("/admin/rapports", "/en/admin/reports"),
    "admin-reports-csv": ("/admin/rapports.csv", "/en/admin/reports.csv"),
}
# Form pages whose language switch goes to their GET twin.
GET_TWINS: Final[dict[str, str]] = {
    "admin-signout": "admin-signin", "admin-replay": "admin-deliveries",
    "admin-key-revoke": "admin-keys", "admin-privacy-export": "admin-privacy",
    "admin-privacy-erase": "admin-privacy", "admin-route": "admin-request",
    "admin-centre-status": "admin-centre",
}  # fmt: skip
# The import form uploads a workbook (or carries it to its confirmation): bodies up to this.
UPLOAD_PATHS: Final = PAGES["admin-import"]
UPLOAD_BYTES: Final = 2 * 1024 * 1024
urls.register_pages(PAGES)
urls.GET_TWINS.update(GET_TWINS)


def install(app: FastAPI) -> None:
    """Include the console's pages (after the page error handlers are in place)."""
    from app.web.admin import (
        access,
        dashboard,
        deliveries,
        directory,
        import_pages,
        keys_pages,
        privacy_pages,
        reports,
        requests,
        signin_pages,
    )

    for module in (
        signin_pages,
        dashboard,
        requests,
        deliveries,
        directory,
        import_pages,
        keys_pages,
        privacy_pages,
        reports,
    ):
        app.include_router(module.router)
    access.install(app)
