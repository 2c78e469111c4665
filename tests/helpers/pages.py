"""Reading the site's pages as a browser does: the Accept header, a form's fields, its CSRF
token."""

from __future__ import annotations

import html
import re

HTML = {"Accept": "text/html,application/xhtml+xml"}


def csrf_of(page: str) -> str:
    """The CSRF token of the (first) form on the page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF field on the page"
    return found.group(1)


def form_fields(page: str, action: str | None = None) -> dict[str, list[str]]:
    """The (name, value) pairs a browser would send from the form posting to `action` (or the
    first form): inputs (checked ones for boxes), selected options and textareas."""
    forms = re.findall(r"<form\b([^>]*)>(.*?)</form>", page, re.S)
    chosen = next(
        (body for attrs, body in forms if action is None or f'action="{action}"' in attrs), None
    )
    assert chosen is not None, f"no form posting to {action}"
    pairs: list[tuple[str, str]] = []
    for tag in re.findall(r"<input\b[^>]*>", chosen):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]*)"', tag)
        if not name:
            continue
        if kind and kind.group(1) in ("checkbox", "radio") and " checked" not in tag:
            continue
        pairs.append((name.group(1), html.unescape(value.group(1) if value else "")))
    for name, body in re.findall(
        r'<textarea[^>]*name="([^"]*)"[^>]*>(.*?)</textarea>', chosen, re.S
    ):
        pairs.append((name, html.unescape(body)))
    for name, body in re.findall(r'<select[^>]*name="([^"]*)"[^>]*>(.*?)</select>', chosen, re.S):
        selected = re.search(r'<option value="([^"]*)" selected', body)
        pairs.append((name, html.unescape(selected.group(1)) if selected else ""))
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out
