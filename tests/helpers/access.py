"""Every route's access rule, one table: tests/trust/test_access_rules.py checks each route has
one and that it holds; tests/api/test_openapi_document.py that the document says the same."""

from __future__ import annotations

PUBLIC, ADMIN, CENTRE, PARTNER, OPTIONAL_KEY = "public", "admin", "centre", "partner", "optional"
# A form of the public site: anyone may post it, with the CSRF token its page gave (else 403).
FORM = "form"
# A page of the staff console: a signed-in staff member only (API keys open nothing there); a
# GET is sent to the sign-in page (303), anything else gets 401.
STAFF = "staff"
# A page of a centre's web inbox: a signed-in centre only (API keys open nothing there).
CENTRE_WEB = "centre_web"
# The console's pages and their methods; the sign-in pages are open (their forms as FORM).
CONSOLE: dict[str, tuple[str, ...]] = {
    "admin": ("GET",),
    "admin-code": ("GET", "POST"),
    "admin-security": ("GET", "POST"),
    "admin-signout": ("POST",),
    "admin-queue": ("GET",),
    "admin-request": ("GET",),
    "admin-route": ("POST",),
    "admin-referrals": ("GET",),
    "admin-deliveries": ("GET",),
    "admin-replay": ("POST",),
    "admin-centres": ("GET",),
    "admin-centre": ("GET", "POST"),
    "admin-centre-status": ("POST",),
    "admin-import": ("GET", "POST"),
    "admin-keys": ("GET", "POST"),
    "admin-key-revoke": ("POST",),
    "admin-privacy": ("GET", "POST"),
    "admin-privacy-export": ("POST",),
    "admin-privacy-erase": ("POST",),
    "admin-reports": ("GET",),
    "admin-reports-csv": ("GET",),
}
CONSOLE_OPEN = ("admin-signin", "admin-link")


def _console_rules() -> dict[tuple[str, str], str]:
    from app.web.admin import PAGES

    rules = {
        (m, p): STAFF for name, methods in CONSOLE.items() for m in methods for p in PAGES[name]
    }
    for name in CONSOLE_OPEN:
        rules |= {("GET", p): PUBLIC for p in PAGES[name]}
        rules |= {("POST", p): FORM for p in PAGES[name]}
    return rules


RULES: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    # Open in development (these tests); token-protected or off in production (test_metrics).
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/v1/regions"): PUBLIC,
    ("GET", "/v1/regions/lookup"): PUBLIC,
    ("GET", "/v1/regions/{code}"): PUBLIC,
    ("GET", "/v1/taxonomy"): PUBLIC,
    ("GET", "/v1/locations/resolve"): PUBLIC,
    ("GET", "/v1/centres"): PUBLIC,
    ("GET", "/v1/centres.geojson"): PUBLIC,
    ("GET", "/v1/centres/{centre_id}"): PUBLIC,
    ("POST", "/v1/matches"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/hsds/"): PUBLIC,
    ("GET", "/hsds/services"): PUBLIC,
    ("GET", "/hsds/services/{id}"): PUBLIC,
    ("GET", "/hsds/organizations"): PUBLIC,
    ("GET", "/hsds/organizations/{id}"): PUBLIC,
    ("GET", "/hsds/service_at_locations"): PUBLIC,
    ("GET", "/hsds/service_at_locations/{id}"): PUBLIC,
    ("GET", "/hsds/taxonomies"): PUBLIC,
    ("GET", "/hsds/taxonomies/{id}"): PUBLIC,
    ("GET", "/hsds/taxonomy_terms"): PUBLIC,
    ("GET", "/hsds/taxonomy_terms/{id}"): PUBLIC,
    ("POST", "/v1/consultations"): OPTIONAL_KEY,
    ("GET", "/v1/consultations/{consultation_id}"): PARTNER,
    ("GET", "/v1/inbox/referrals"): CENTRE,
    ("POST", "/v1/inbox/referrals/{referral_id}/accept"): CENTRE,
    ("POST", "/v1/inbox/referrals/{referral_id}/decline"): CENTRE,
    ("PATCH", "/v1/inbox/centre"): CENTRE,
    ("GET", "/v1/admin/centres"): ADMIN,
    ("POST", "/v1/admin/centres"): ADMIN,
    ("GET", "/v1/admin/centres/{centre_id}"): ADMIN,
    ("PATCH", "/v1/admin/centres/{centre_id}"): ADMIN,
    ("DELETE", "/v1/admin/centres/{centre_id}"): ADMIN,
    ("POST", "/v1/admin/centres/import"): ADMIN,
    ("GET", "/v1/admin/centres/template.xlsx"): ADMIN,
    ("POST", "/v1/admin/centres/{centre_id}/inbox/enable"): ADMIN,
    ("POST", "/v1/admin/keys"): ADMIN,
    ("GET", "/v1/admin/keys"): ADMIN,
    ("DELETE", "/v1/admin/keys/{key_id}"): ADMIN,
    ("GET", "/v1/admin/consultations"): ADMIN,
    ("GET", "/v1/admin/consultations/{consultation_id}"): ADMIN,
    ("POST", "/v1/admin/consultations/{consultation_id}/route"): ADMIN,
    ("POST", "/v1/admin/referrals/{referral_id}/cancel"): ADMIN,
    ("GET", "/v1/admin/deliveries/failed"): ADMIN,
    ("POST", "/v1/admin/deliveries/{event_id}/replay"): ADMIN,
    ("POST", "/v1/admin/privacy/export"): ADMIN,
    ("POST", "/v1/admin/privacy/erase"): ADMIN,
    ("GET", "/v1/admin/reports/referrals"): ADMIN,
    ("GET", "/v1/stats"): PUBLIC,
    # The public site (app/web), in both languages.
    **{("GET", path): PUBLIC for path in (
        "/", "/en/", "/confidentialite", "/en/privacy", "/accessibilite", "/en/accessibility",
        "/a-propos", "/en/about", "/recherche", "/en/search", "/centres/{centre_id}",
        "/en/centres/{centre_id}", "/demande", "/en/request", "/demande/confirmation",
        "/en/request/confirmation",
    )},
    **{("POST", path): FORM for path in (
        "/demande", "/en/request", "/demande/verifier", "/en/request/check", "/demande/envoyer",
        "/en/request/send",
    )},
    # A centre's answer page: the signed token in the path is the only key (404 without it).
    ("GET", "/boite/demande/{token}"): PUBLIC,
    ("GET", "/en/inbox/request/{token}"): PUBLIC,
    ("POST", "/boite/demande/{token}"): FORM,
    ("POST", "/en/inbox/request/{token}"): FORM,
    # A job seeker's status page: the signed token in the path is the only key.
    ("GET", "/demande/suivi/{token}"): PUBLIC,
    ("GET", "/en/request/status/{token}"): PUBLIC,
    ("POST", "/demande/suivi/{token}"): FORM,
    ("POST", "/en/request/status/{token}"): FORM,
    # The centres' web inbox: its sign-in pages are open (their forms as FORM); the rest
    # needs a centre's session (a GET goes to the sign-in page, anything else 401).
    **{("GET", p): PUBLIC for p in ("/boite/connexion", "/en/inbox/sign-in", "/boite/lien",
                                     "/en/inbox/link")},
    **{("POST", p): FORM for p in ("/boite/connexion", "/en/inbox/sign-in", "/boite/lien",
                                    "/en/inbox/link")},
    **{("GET", p): CENTRE_WEB for p in ("/boite", "/en/inbox")},
    **{("POST", p): CENTRE_WEB for p in (
        "/boite/reponse/{referral_id}", "/en/inbox/answer/{referral_id}", "/boite/accueil",
        "/en/inbox/intake", "/boite/deconnexion", "/en/inbox/sign-out")},
    **_console_rules(),
}  # fmt: skip
