"""The site's header navigation: the one list of its sections, the current one marked.

A context processor (registered in settings), so every page's header has the same items
without each view naming them. A section is current when the page's path lies under one
of its paths (a token's page is in Port Tokens, the transfer form in Transfers).

The pages that came later (saved views, renewals, exports) are listed by their SPEC
routes and shown only while that route is served, so the header is right with or without
them.
"""

from typing import NamedTuple

from django.urls import Resolver404, get_script_prefix, resolve, reverse


class Section(NamedTuple):
    label: str
    url: str
    current: bool


#: (label, URL name or SPEC route, paths below which a page belongs to the section).
#: A route (starting with "/") is shown only when something answers it.
SECTIONS = (
    ("Organizations", "inventory:organizations", ("/organizations/",)),
    ("Port Tokens", "inventory:port_tokens", ("/inventory/port-tokens/",)),
    (
        "Transfers",
        "inventory:transfers",
        ("/inventory/transfers/", "/inventory/port-tokens/transfer/"),
    ),
    ("Saved views", "/inventory/views/", ("/inventory/views/",)),
    ("Renewals", "/inventory/renewals/", ("/inventory/renewals/",)),
    ("Exports", "/inventory/exports/", ("/inventory/exports/",)),
)


def navigation(request) -> dict:
    """`navigation`: the header's sections for a signed-in user (none otherwise), each
    with its URL and whether the page is in it; at most one is current, the one with the
    longest matching path."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    available = [
        (label, url, paths)
        for label, target, paths in SECTIONS
        if (url := _url(target)) is not None
    ]
    path = request.path_info
    matches = [
        (len(prefix), label)
        for label, _, paths in available
        for prefix in paths
        if path.startswith(prefix)
    ]
    current = max(matches)[1] if matches else None
    return {"navigation": [Section(label, url, label == current) for label, url, _ in available]}


def _url(target: str) -> str | None:
    if not target.startswith("/"):
        return reverse(target)
    try:
        resolve(target)
    except Resolver404:
        return None
    return get_script_prefix() + target.removeprefix("/")
