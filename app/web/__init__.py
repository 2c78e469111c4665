"""The public website (DESIGN §12): server-rendered pages, French at `/`, English under `/en/`.

Pages are another face of the services: a page route parses the query or the form, calls the
same services as the JSON routers (never the JSON API over HTTP) and renders a template. No
rule lives in a template or a page route.

How to add a page (issues building on this package follow the same four steps):

1. Name its two paths in `app/web/urls.py` (`PAGES`): `"inbox": ("/boite", "/en/inbox")`.
   Path parameters are allowed (`"/centres/{centre_id}"`); both paths take the same ones.
2. Write the route in a module of this package (or your own package) on an `APIRouter`, and
   register it for both languages with `urls.page(router, "inbox")` (GET) or
   `urls.page(router, "inbox", methods=["POST"])`. The route reads its language with
   `urls.lang_of_request(request)`; it is never a query parameter.
3. Render with `templating.render(request, "inbox.html", {...})`. The template extends
   `base.html` and fills `{% block title %}` and `{% block main %}`. In templates:
   `_("web.home.title")` (text from the catalogues, `app/i18n/locales/*/LC_MESSAGES/web.po`;
   use your own domain file, e.g. `mail.po`, `admin.po`, for your own keys),
   `n_("web.results.count", n)` (plurals: keys `….one` and `….other`),
   `url("search", query={"region": "06"})` (a page in the current language),
   `csrf_field()` inside every `<form method="post">`, `static("site.css")`.
4. A POST route calls `await security.form_of(request)` first: it checks the CSRF token and the
   origin, and returns the parsed form (a 403 page otherwise).
5. Include the router: add the module to the tuple in `install` below. Another package may
   instead call `urls.register_pages({...})` for its names, append its template folder to
   `templating.TEMPLATE_DIRS` (before the first render), and include its own router in
   `app/main.py` before `web.install(app)`.

A form page with errors passes `form_errors` (a list of `{"field", "text"}`) to `render`: the
title then starts with "Erreur : " / "Error: ", as public-service forms do.

`render` sets the security headers (a strict Content-Security-Policy: scripts, styles and
images from this site only, no inline script or style attribute, no frames) and the language.
Errors raised on a page path (`AppError`, 404, 500…) are rendered as HTML pages in the page's
language for browsers (`app/web/errors.py`); the JSON API keeps its problem documents.
"""

from __future__ import annotations

from fastapi import FastAPI

from app.web import (
    admin,
    centre_answer,
    centre_inbox,
    errors,
    pages,
    request_pages,
    search,
    status_page,
    templating,
)

__all__ = ["UPLOAD_BYTES", "UPLOAD_PATHS", "install"]
# Page forms that upload a file, and the body size they may have (app.main's RequestGuard).
UPLOAD_PATHS = admin.UPLOAD_PATHS
UPLOAD_BYTES = admin.UPLOAD_BYTES


def install(app: FastAPI) -> None:
    """Mount the static files and the pages, and render errors on page paths as HTML.

    Called by the app factory after `problems.install` (it wraps those handlers)."""
    templating.mount_static(app)
    for module in (search, request_pages, pages, centre_answer, centre_inbox, status_page):
        app.include_router(module.router)
    errors.install(app)
    centre_inbox.install(app)  # signed out: to the inbox's sign-in page
    admin.install(app)  # the staff console (/admin): its own redirects after the error pages
