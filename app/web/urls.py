"""Page names and their two paths (French at `/`, English under `/en/`), and links between them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.i18n import Lang

# name: (French path, English path). Both take the same path parameters.
PAGES: Final[dict[str, tuple[str, str]]] = {
    "home": ("/", "/en/"),
    "search": ("/recherche", "/en/search"),
    "centre": ("/centres/{centre_id}", "/en/centres/{centre_id}"),
    "request": ("/demande", "/en/request"),
    "check": ("/demande/verifier", "/en/request/check"),
    "send": ("/demande/envoyer", "/en/request/send"),
    "confirmation": ("/demande/confirmation", "/en/request/confirmation"),
    "privacy": ("/confidentialite", "/en/privacy"),
    "accessibility": ("/accessibilite", "/en/accessibility"),
    "about": ("/a-propos", "/en/about"),
}
# A route's path template -> (page name, its language).
_BY_PATH: dict[str, tuple[str, Lang]] = {}


def _index() -> None:
    _BY_PATH.clear()
    for name, (fr, en) in PAGES.items():
        _BY_PATH[fr] = (name, "fr")
        _BY_PATH[en] = (name, "en")


_index()


def lang_of_path(path: str) -> Lang:
    """The site's language at this path: English under `/en/`, French elsewhere."""
    return "en" if path == "/en" or path.startswith("/en/") else "fr"


def lang_of_request(request: Request) -> Lang:
    return lang_of_path(request.url.path)


def url(name: str, lang: Lang, /, query: Mapping[str, Any] | None = None, **path: Any) -> str:
    """The path of page `name` in `lang`, with its path parameters and an optional query
    (a value may be a list: one `key=value` per item; empty values are left out)."""
    fr, en = PAGES[name]
    target = (en if lang == "en" else fr).format(**{k: str(v) for k, v in path.items()})
    return target + query_string(query) if query else target


def query_string(query: Mapping[str, Any]) -> str:
    """`?a=1&b=2` for a query (a value may be a list; empty values are left out), or ""."""
    pairs = [
        (k, item)
        for k, v in query.items()
        for item in (v if isinstance(v, list | tuple) else [v])
        if item not in (None, "")
    ]
    return "?" + urlencode(pairs) if pairs else ""


def switch_url(request: Request, lang: Lang) -> str:
    """The same page in the other language, with the same query: the language switch.

    A page reached by POST (a form step) switches to its GET twin when it has one, else home."""
    other: Lang = "en" if lang == "fr" else "fr"
    route = request.scope.get("route")
    template = getattr(route, "path", None)
    found = _BY_PATH.get(template) if isinstance(template, str) else None
    if found is None:
        return url("home", other)
    name = found[0]
    if request.method != "GET":
        return url(GET_TWINS.get(name, name), other, **request.path_params)
    target = url(name, other, **request.path_params)
    return f"{target}?{request.url.query}" if request.url.query else target


# POST-only steps and the page a language switch takes them to.
GET_TWINS: Final[dict[str, str]] = {"check": "request", "send": "request"}


def page(
    router: APIRouter, name: str, *, methods: Sequence[str] = ("GET",), **options: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated route at both paths of page `name` (kept out of the OpenAPI
    document: pages are not the API). A page answers HTML or a redirect: no JSON model."""
    options = {"response_class": HTMLResponse, **options}

    def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        for path in PAGES[name]:
            router.add_api_route(
                path,
                endpoint,
                methods=list(methods),
                include_in_schema=False,
                name=f"{name}-{_BY_PATH[path][1]}-{'-'.join(methods).lower()}",
                **options,
            )
        return endpoint

    return register


def register_pages(extra: Mapping[str, tuple[str, str]]) -> None:
    """Add page names from another package (each name once, each path once)."""
    for name, paths in extra.items():
        if name in PAGES and PAGES[name] != paths:
            raise ValueError(f"page {name!r} is already {PAGES[name]}")
        PAGES[name] = paths
    _index()
