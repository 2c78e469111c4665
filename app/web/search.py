"""Home (the search and the map), results (a bookmarkable GET), and a page per centre.

The results rank the directory's centres exactly as `POST /v1/matches` does: the same
snapshot, the same load, the same pure ranking."""

from __future__ import annotations

import json
import uuid
from functools import lru_cache
from typing import Any, NamedTuple

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from app.deps import get_directory, get_load
from app.errors import NotFound
from app.i18n import Lang, gettext
from app.services.directory_index import Directory
from app.services.matching import situation
from app.web import urls, vocabulary
from app.web.criteria import Checked, Criteria, check
from app.web.regionmap import region_map
from app.web.templating import render, render_fragment

router = APIRouter()
RESULTS_LIMIT = 10


@urls.page(router, "home")
async def home(request: Request) -> HTMLResponse:
    directory = await get_directory(request)
    lang = urls.lang_of_request(request)
    return render(
        request,
        "home.html",
        _form_context(directory, lang, Criteria(), Checked())
        | {
            "map": region_map(),
            "counts": directory.region_counts,
        },
    )


@urls.page(router, "search")
async def search(request: Request) -> HTMLResponse:
    """Ranked centres for the situation in the query string; the form again when it is
    incomplete or wrong (with its errors); a region's centres for `?region=`."""
    directory = await get_directory(request)
    lang = urls.lang_of_request(request)
    criteria = Criteria.read(request.query_params)
    if criteria.region and not criteria.asked:
        return _region_page(request, directory, lang, criteria)
    checked = check(criteria, lang, limit=RESULTS_LIMIT)
    context = _form_context(directory, lang, criteria, checked)
    if checked.request is None or checked.place is None:
        return render(request, "search.html", context, status=200)
    load = await get_load(request, directory)
    outcome = directory.match_index.rank(situation(checked.request, checked.place), load=load)
    cards = [
        _card(directory, r.centre_id, lang, rank=r.rank, distance=r.distance_km, reasons=r.reasons)
        for r in outcome.results
        if r.centre_id in directory.by_id
    ]
    return render(
        request,
        "results.html",
        context
        | {
            "place": checked.place,
            "cards": cards,
            "excluded": sum(outcome.excluded.values()),
            "eligible": outcome.eligible_count,
        },
    )


@urls.page(router, "centre")
async def centre(request: Request, centre_id: str) -> HTMLResponse:
    directory = await get_directory(request)
    lang = urls.lang_of_request(request)
    found = public_centre(directory, _uuid_text(centre_id))
    if found is None:
        raise NotFound("centre_not_active_page")
    criteria = Criteria.read(request.query_params)
    return render(
        request,
        "centre.html",
        {
            "centre": _card(directory, found["id"], lang),
            "criteria": criteria,
            "query": criteria.query(),
            "regions": [
                vocabulary.region_name(code, lang) for code in sorted(found["regions_served"])
            ],
        },
    )


def _region_page(
    request: Request, directory: Directory, lang: Lang, criteria: Criteria
) -> HTMLResponse:
    cards = [_card(directory, e.id, lang) for e in directory.search(region=criteria.region)]
    return render(
        request,
        "region.html",
        _form_context(directory, lang, criteria, Checked())
        | {
            "region_name": vocabulary.region_name(criteria.region, lang),
            "cards": cards,
        },
    )


def _form_context(
    directory: Directory, lang: Lang, criteria: Criteria, checked: Checked
) -> dict[str, Any]:
    query = criteria.query()
    key = _FormKey(
        lang,
        tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in query.items()),
        tuple((e.field, e.text) for e in checked.errors),
        tuple((c["q"], c["label"]) for c in checked.candidates),
        directory_languages(directory),
    )
    return {
        "criteria": criteria,
        "query": query,
        "qs": urls.query_string(query),  # encoded once: every card links with it
        "form_errors": checked.errors,
        "search_form": search_form(key),
    }


class _FormKey(NamedTuple):
    lang: Lang
    query: tuple[tuple[str, Any], ...]
    errors: tuple[tuple[str, str], ...]
    candidates: tuple[tuple[str, str], ...]
    languages: frozenset[str]


@lru_cache(maxsize=2048)
def search_form(key: _FormKey) -> Markup:
    """The search form, filled in: the same search always gives the same form, so it is
    rendered once (a third of a results page's rendering otherwise)."""
    query = {k: list(v) if isinstance(v, tuple) else v for k, v in key.query}
    criteria = Criteria(
        q=str(query["q"]),
        language=str(query["language"]),
        age=str(query["age"]),
        text=str(query["text"]),
        needs=query["needs"],
        groups=query["groups"],
        modes=query["modes"],
    )
    return render_fragment(
        "_search_form.html",
        key.lang,
        {
            "criteria": criteria,
            "query": query,
            "errors_by_field": dict(key.errors),
            "candidates": [{"q": q, "label": label} for q, label in key.candidates],
            "options": vocabulary.options(key.lang, languages=key.languages),
        },
    )


def _card(
    directory: Directory,
    centre_id: str,
    lang: Lang,
    *,
    rank: int | None = None,
    distance: float | None = None,
    reasons: Any = (),
) -> dict[str, Any]:
    """What a page shows of a centre (public fields only, labels in the page's language)."""
    return {
        **_centre_view(directory, centre_id, lang),
        "rank": rank,
        "distance": _km(distance, lang) if distance is not None else None,
        "reasons": [r.en if lang == "en" else r.fr for r in reasons],
    }


def _centre_view(directory: Directory, centre_id: str, lang: Lang) -> dict[str, Any]:
    """A centre's labels and texts in `lang` (kept for the last 1,024 asked for)."""
    return _view_of(directory.by_id[centre_id].public_json, centre_id, lang)


@lru_cache(maxsize=1024)
def _view_of(public_json: bytes, centre_id: str, lang: Lang) -> dict[str, Any]:
    # Keyed by the centre's JSON, not by the snapshot: an edit elsewhere keeps the entry.
    centre = _public_of(public_json)
    labels = vocabulary.labels_of(centre, lang)
    meta = (
        gettext("web.results.modes", lang, modes=", ".join(labels["modes"]))
        + " · "
        + gettext("web.results.languages", lang, languages=", ".join(labels["languages"]))
    )
    return {
        **centre,
        "description": centre["description_en" if lang == "en" else "description_fr"]
        or centre["description_fr" if lang == "en" else "description_en"],
        "labels": labels,
        "meta": meta,
        "href": urls.url("centre", lang, centre_id=centre_id),
        "ask_href": urls.url("request", lang),
    }


def _km(distance: float, lang: Lang) -> str:
    # As the reasons say it: a decimal under 100 km, whole kilometres beyond.
    text = f"{distance:.1f}" if distance < 100 else f"{distance:.0f}"
    return text.replace(".", ",") if lang == "fr" else text


def public_centre(directory: Directory, centre_id: str) -> dict[str, Any] | None:
    """The public fields of an active centre of this snapshot, or None (read from its JSON:
    the last 1,024 are kept)."""
    entry = directory.by_id.get(centre_id)
    return None if entry is None else _public_of(entry.public_json)


@lru_cache(maxsize=1024)
def _public_of(public_json: bytes) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(public_json)
    return found


def directory_languages(directory: Directory) -> frozenset[str]:
    return directory.languages


def _uuid_text(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return ""


__all__ = ["router"]
