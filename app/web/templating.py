"""The Jinja2 environment of the pages, and `render`, which every page route ends with."""

from __future__ import annotations

import hashlib
from functools import cache, partial
from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app.i18n import Lang, gettext, ngettext
from app.web import urls
from app.web.security import CSRF_FIELD, PAGE_HEADERS, Csrf

HERE: Final = Path(__file__).parent
TEMPLATES: Final = HERE / "templates"
STATIC: Final = HERE / "static"
# Other packages (e-mail, the staff console) may add their own template folders here.
TEMPLATE_DIRS: list[Path] = [TEMPLATES]


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
        autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals["static"] = static_url
    return env


@cache
def _static_version(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


@cache
def static_url(name: str) -> str:
    """A static file's URL, versioned by its content (so it may be cached for a year)."""
    return f"/static/{name}?v={_static_version(name)}"


class Static(StaticFiles):
    """The static files, cached for long: their URLs change with their content."""

    async def get_response(self, path: str, scope: Scope) -> Any:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        return response


def mount_static(app: FastAPI) -> None:
    app.mount("/static", Static(directory=STATIC), name="static")


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    lang: Lang | None = None,
    headers: dict[str, str] | None = None,
    private: bool = False,
) -> HTMLResponse:
    """Render `template` in the page's language, with the security headers. `private` pages
    (a person's answers) are never stored by the browser or a proxy."""
    lang = lang or urls.lang_of_request(request)
    csrf = Csrf(request)
    page: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "other_lang": "en" if lang == "fr" else "fr",
        "_": partial(_text, lang),
        "n_": partial(_plural, lang),
        "url": partial(_url, lang),
        "url_in": urls.url,
        "switch_url": urls.switch_url(request, lang),
        "csrf_field": partial(_csrf_field, csrf),
    }
    page.update(context or {})
    body = environment().get_template(template).render(page)
    response = HTMLResponse(body, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})
    response.headers["Content-Language"] = lang
    if private:
        response.headers["Cache-Control"] = "no-store"
    csrf.set_cookie(response)
    return response


def render_fragment(template: str, lang: Lang, context: dict[str, Any]) -> Markup:
    """A part of a page that depends on its arguments only (no request, no form token), for
    the page to cache: `_`, `n_` and `url` in `lang`, and `context`."""
    page = {
        "lang": lang,
        "_": partial(_text, lang),
        "n_": partial(_plural, lang),
        "url": partial(_url, lang),
    }
    html = environment().get_template(template).render(page | context)
    return Markup(html)  # noqa: S704  # nosec B704  # an autoescaped template


def _text(lang: Lang, key: str, /, **params: object) -> str:
    return gettext(key, lang, **params)


def _plural(lang: Lang, key: str, count: int, /, **params: object) -> str:
    return ngettext(key, count, lang, **params)


def _url(lang: Lang, name: str, /, query: dict[str, Any] | None = None, **path: Any) -> str:
    return urls.url(name, lang, query, **path)


def _csrf_field(csrf: Csrf) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf.token())
